// The agent's prompt (issue 18): strings in, text out; no disk, no git.
#include "engine/agent_prompt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string_view>

namespace smartspec::engine {

namespace {

// A markdown code span that survives backticks in the value.
std::string code(const std::string& s) {
  if (s.find('`') == std::string::npos) return fmt::format("`{}`", s);
  return fmt::format("`` {} ``", s);
}

// Appends formatted text to `p`.
template <typename... Args>
void put(std::string& p, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(p), f, std::forward<Args>(args)...);
}

// "<id>" or "<id>: <title>".
std::string id_and_title(const PromptTask& t) {
  return t.title.empty() ? t.id : fmt::format("{}: {}", t.id, t.title);
}

bool is_directory_evidence(const Evidence& e) {
  std::string path = e.get("path").value_or("");
  return (!path.empty() && path.back() == '/') || e.get("symbol") == "Directory";
}

// ", must contain `x`, must match the regex `y`" for the content keys present.
std::string content_clauses(const Evidence& e) {
  std::string out;
  if (auto c = e.get("contains"); c && !c->empty()) out += ", must contain " + code(*c);
  if (auto r = e.get("regex"); r && !r->empty()) out += ", must match the regex " + code(*r);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

void append_section(std::string& p, std::string section) {
  if (!section.empty() && section.back() != '\n') section += '\n';
  p += section;
}

void append_done(std::string& p, const PromptInput& in, const PromptTask& t) {
  if (t.evidence.empty()) {
    put(p, "{} has no evidence line in {}: it is done when the section above is done.\n", t.id,
        in.tasks_file);
    if (!t.symbol.empty() || !t.contains.empty()) p += "\n";
    if (!t.symbol.empty()) put(p, "- the pack asks for the symbol {}\n", code(t.symbol));
    if (!t.contains.empty()) put(p, "- the pack asks for the content {}\n", code(t.contains));
  } else {
    put(p, "{} is done when every evidence line of it in {} holds:\n\n", t.id, in.tasks_file);
    for (const auto& e : t.evidence) put(p, "- {}\n", describe_evidence(e));
  }
  if (!t.files.empty()) {
    std::vector<std::string> shown;
    for (const auto& f : t.files) shown.push_back(code(f));
    put(p, "\nFiles: {}\n", join(shown, ", "));
  }
  if (!t.evidence.empty()) {
    put(p,
        "\nCheck it with this command (exit status 0 = done; it prints what is missing):\n\n"
        "    {}\n",
        verify_command(in, t.id));
  }
}

void append_rules(std::string& p, const PromptInput& in) {
  put(p,
      "\n## Rules\n\n"
      "- Work only in the current directory, a checkout of the project: create, change or\n"
      "  delete files there and nowhere else.\n"
      "- Do not commit, stage or change anything in `.git`: smartspec-batch commits what you\n"
      "  change in this directory, as one commit per unit.\n"
      "- Do not tick tasks or change evidence lines in {}.\n"
      "- Code fences in the section are templates: write real code, not TODOs.\n",
      in.tasks_file);
}

}  // namespace

std::string describe_evidence(const Evidence& e) {
  const std::string path = e.get("path").value_or("");
  if (path.empty()) return "evidence " + code(e.raw) + " (names no path; cannot be checked)";
  if (e.type == "code" && is_directory_evidence(e)) {
    std::string s = "directory " + code(path) + " must exist";
    auto c = e.get("contains");
    auto r = e.get("regex");
    if (c && !c->empty()) s += " and hold a file that contains " + code(*c);
    if (r && !r->empty()) {
      s += (c && !c->empty()) ? " or matches the regex "
                              : " and hold a file that matches the regex ";
      s += code(*r);
    }
    return s;
  }
  std::string s;
  if (e.type == "code") {
    s = "file " + code(path) + " must exist";
    if (auto sym = e.get("symbol"); sym && !sym->empty()) s += " and define " + code(*sym);
  } else if (e.type == "test") {
    s = "test file " + code(path) + " must exist";
  } else if (e.type == "docs") {
    s = "document " + code(path) + " must exist";
    if (auto h = e.get("heading"); h && !h->empty()) s += " and have a heading " + code(*h);
  } else if (e.type == "ui") {
    s = "file " + code(path) + " must exist";
    if (auto sel = e.get("selector"); sel && !sel->empty()) s += " and contain " + code(*sel);
  } else {
    return "evidence " + code(e.raw);
  }
  return s + content_clauses(e);
}

std::string describe_missing(const verify::EvidenceCheck& c) {
  const Evidence& e = c.evidence;
  const std::string p = code(c.path);
  const std::string& r = c.reason;
  std::string s;
  if (r == "file not found" || r.rfind("file not found:", 0) == 0 ||
      r.rfind("anchor not found:", 0) == 0) {
    s = p + " does not exist";
    if (!c.similar.empty()) {
      std::vector<std::string> names;
      for (const auto& f : c.similar) names.push_back(code(f.path));
      s += " (similar: " + join(names, ", ") + ")";
    }
  } else if (r == "symbol not found") {
    s = p + " does not define " + code(e.get("symbol").value_or(""));
  } else if (r == "contains not found") {
    s = p + " does not contain " + code(e.get("contains").value_or(""));
  } else if (r == "regex not matched") {
    s = p + " does not match the regex " + code(e.get("regex").value_or(""));
  } else if (r == "heading not found") {
    s = p + " has no heading " + code(e.get("heading").value_or(""));
  } else if (r == "selector not found") {
    s = p + " does not contain " + code(e.get("selector").value_or(""));
  } else if (r == "no match found in directory scan") {
    std::vector<std::string> what;
    if (auto v = e.get("contains"); v && !v->empty()) what.push_back("contains " + code(*v));
    if (auto v = e.get("regex"); v && !v->empty()) what.push_back("matches the regex " + code(*v));
    s = "no file under " + p + (what.empty() ? " matches" : " " + join(what, " or "));
  } else {
    s = p + ": " + r;
  }
  return s;
}

std::string verify_command(const PromptInput& in, const std::string& id) {
  auto quote = [](const std::string& s) {
    bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) ||
             std::string_view("/._-+=:,@").find(ch) != std::string_view::npos;
    });
    if (plain) return s;
    std::string out = "'";
    for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return out + "'";
  };
  return quote(in.program) + " verify " + quote(in.tasks_file) + " --task " + quote(id);
}

std::string build_agent_prompt(const PromptInput& in) {
  std::vector<std::string> ids;
  for (const auto& t : in.tasks) ids.push_back(t.id);
  std::string p;
  if (in.tasks.size() == 1) {
    const PromptTask& t = in.tasks.front();
    p = fmt::format("# SmartSpec task {}\n\n", id_and_title(t));
  } else {
    p = fmt::format("# SmartSpec tasks {}\n\n", join(ids, ", "));
  }
  put(p, "- Unit: {}\n", in.unit);
  put(p, "- Tasks file: {}\n", in.tasks_file);
  for (const auto& t : in.tasks) {
    if (in.tasks.size() > 1) put(p, "\n# Task {}\n", id_and_title(t));
    p += "\n## The task, from the prompt pack\n\n";
    append_section(p, t.section);
    p += "\n## What done means\n\n";
    append_done(p, in, t);
  }
  append_rules(p, in);
  return p;
}

std::string build_retry_prompt(const PromptInput& in, int attempt, int attempts,
                               const std::vector<Missing>& missing) {
  std::string p = build_agent_prompt(in);
  put(p, "\n## What is still missing (attempt {} of {})\n\n", attempt, attempts);
  p += "The previous attempt's changes are in the working directory, but they do not\n"
       "verify yet. Still missing:\n";
  for (const auto& m : missing) {
    put(p, "\n{}:\n\n", m.id);
    for (const auto& l : m.lines) put(p, "- {}\n", l);
    put(p, "\nCheck again with:\n\n    {}\n", verify_command(in, m.id));
  }
  return p;
}

}  // namespace smartspec::engine
