// Renders parsed pack tasks as text, so tests can compare whole results
// exactly and a failure shows a readable diff.
#pragma once

#include <string>
#include <vector>

#include "smartspec/model/model.hpp"

namespace smartspec::pack::test {

inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string describe(const Fence& f) {
  return std::string(f.content ? "content" : "instruction") + " line=" + std::to_string(f.line) +
         " info=" + quote(f.info) + " lang=" + quote(f.lang) + " heading=" + quote(f.heading) +
         " body=" + quote(f.body);
}

// Everything but `raw` (checked separately where it matters).
inline std::string describe(const PackTask& t) {
  std::string out;
  out += "task " + t.id + " title=" + quote(t.title) +
         " category=" + std::string(unit_name(t.category)) + " source=" + t.source +
         " line=" + std::to_string(t.line) + " number=" + std::to_string(t.number);
  if (t.priority) out += " priority=" + std::to_string(*t.priority);
  out += "\n";
  if (t.symbol) out += "  symbol " + quote(*t.symbol) + "\n";
  if (t.contains) out += "  contains " + quote(*t.contains) + "\n";
  for (const PackFile& f : t.files) {
    out += "  file " + f.path + " role=" + std::string(role_name(f.role)) +
           " line=" + std::to_string(f.line) +
           " exists=" + (f.exists ? (*f.exists ? "yes" : "no") : "?") + "\n";
    for (const Fence& x : f.fences) out += "    " + describe(x) + "\n";
  }
  for (const Fence& x : t.unassigned) out += "  unassigned " + describe(x) + "\n";
  for (const Fence& x : t.instructions) out += "  " + describe(x) + "\n";
  for (const std::string& s : t.suggestions) out += "  suggestion " + quote(s) + "\n";
  for (const std::string& s : t.similar_files) out += "  similar " + s + "\n";
  for (const Diagnostic& d : t.artefacts)
    out += "  artefact " + d.file + ":" + std::to_string(d.line) + ": " + d.message + "\n";
  return out;
}

inline std::string describe(const std::vector<PackTask>& ts) {
  std::string out;
  for (const PackTask& t : ts) out += describe(t);
  return out;
}

}  // namespace smartspec::pack::test
