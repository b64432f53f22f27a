#include "smartspec/exec/syntax.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>

#include "exec/syntax_internal.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

std::string first_line(std::string_view s) {
  for (const auto& l : text::split_lines(s)) {
    auto t = text::trim(l.text);
    if (!t.empty()) return std::string(t);
  }
  return {};
}

// Parses a leading decimal number; 0 when none.
int number_at(std::string_view s) {
  int n = 0;
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 100000000) n = n * 10 + (s[i++] - '0');
  return n;
}

// Finds "<path>:<n>" in a checker's output: the line the checker names.
int line_after_path(std::string_view out, const std::string& path) {
  std::string key = path + ":";
  std::size_t pos = out.find(key);
  if (pos == std::string_view::npos) return 0;
  return number_at(out.substr(pos + key.size()));
}

// One process per file: `argv file`; a non-zero exit is a syntax error.
void per_file_check(const std::string& root, const std::string& file,
                    const std::vector<std::string>& argv, SyntaxReport& rep,
                    int (*line_of_output)(std::string_view, const std::string&),
                    std::string (*message_of_output)(std::string_view)) {
  ProcSpec spec;
  spec.argv = argv;
  // "./" first: a path is never read as an option ("--require=x.js" for
  // node, "-e…" for perl), whatever the planner let through.
  const std::string arg = "./" + file;
  spec.argv.push_back(arg);
  spec.cwd = root;
  spec.timeout_seconds = kCheckerTimeout;
  auto r = run_process(spec);
  if (!r) {
    rep.notes.push_back(argv.front() + " not found: syntax check of " + file + " skipped");
    return;
  }
  if (r->interrupted) {  // the tool is stopping: not a verdict on the file
    rep.notes.push_back("interrupted: syntax check of " + file + " skipped");
    return;
  }
  rep.checked.push_back(file);
  if (r->ok()) return;
  if (r->timed_out) {
    rep.errors.push_back({file, 0, argv.front() + " timed out"});
    return;
  }
  int line = line_of_output(r->output, arg);
  if (line == 0) line = line_of_output(r->output, file);
  rep.errors.push_back({file, line, message_of_output(r->output)});
}

// bash -n: "a.sh: line 3: syntax error near unexpected token `fi'".
int bash_line(std::string_view out, const std::string& path) {
  std::size_t pos = out.find(path + ": line ");
  if (pos == std::string_view::npos) return 0;
  return number_at(out.substr(pos + path.size() + 7));
}
std::string bash_message(std::string_view out) {
  std::string l = first_line(out);
  std::size_t pos = l.find(": line ");
  if (pos != std::string::npos) {
    std::size_t colon = l.find(": ", pos + 7);
    if (colon != std::string::npos) return l.substr(colon + 2);
  }
  return l;
}

// node --check: "a.js:2\n<source>\n   ^\n\nSyntaxError: Unexpected token ')'\n    at ...".
std::string node_message(std::string_view out) {
  for (const auto& l : text::split_lines(out)) {
    auto t = text::trim(l.text);
    if (t.find("Error: ") != std::string_view::npos && t.rfind("at ", 0) != 0) {
      return std::string(t);
    }
  }
  return first_line(out);
}
std::string generic_message(std::string_view out) {
  std::string l = first_line(out);
  return l.empty() ? std::string("checker failed") : l;
}

// Consumes every value, so on-demand parsing meets the first error; its
// position gives the line.
simdjson::error_code walk(simdjson::ondemand::value v) {
  using simdjson::ondemand::json_type;
  json_type t;
  if (auto e = v.type().get(t)) return e;
  switch (t) {
    case json_type::object: {
      simdjson::ondemand::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        std::string_view k;
        if (auto e = field.unescaped_key().get(k)) return e;
        simdjson::ondemand::value fv;
        if (auto e = field.value().get(fv)) return e;
        if (auto e = walk(fv)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto el : a) {
        simdjson::ondemand::value ev;
        if (auto e = el.get(ev)) return e;
        if (auto e = walk(ev)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case json_type::number: {
      simdjson::ondemand::number n;
      return v.get_number().get(n);
    }
    case json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::SUCCESS;
}

std::string json_message(simdjson::error_code code) {
  std::string m = simdjson::error_message(code);
  // "TAPE_ERROR: JSON document has an improper structure: ..." → the sentence.
  std::size_t colon = m.find(": ");
  if (colon != std::string::npos && m.substr(0, colon).find(' ') == std::string::npos) {
    m = m.substr(colon + 2);
  }
  return m;
}

void json_check(const std::string& root, const std::string& file, SyntaxReport& rep) {
  auto bytes = text::read_file(root + "/" + file);
  if (!bytes) {
    rep.errors.push_back({file, 0, bytes.error().message});
    return;
  }
  rep.checked.push_back(file);
  std::string_view body = text::strip_bom(*bytes);
  std::size_t bom = bytes->size() - body.size();
  simdjson::padded_string padded(body);
  simdjson::dom::parser dom;
  simdjson::dom::element root_el;
  auto code = dom.parse(padded).get(root_el);
  if (code == simdjson::SUCCESS) return;

  // Locate the error: walk the document on demand to its first error.
  int line = 0;
  simdjson::ondemand::parser od;
  simdjson::ondemand::document doc;
  auto at = [&](simdjson::ondemand::document& d) {
    const char* loc = nullptr;
    if (d.current_location().get(loc) == simdjson::SUCCESS && loc != nullptr) {
      line = text::line_of(*bytes, bom + static_cast<std::size_t>(loc - padded.data()));
    } else {
      line = text::line_of(*bytes, bytes->size());  // the error is at the end
    }
  };
  if (od.iterate(padded).get(doc) == simdjson::SUCCESS) {
    simdjson::ondemand::json_type t;
    simdjson::error_code e = doc.type().get(t);
    if (!e &&
        (t == simdjson::ondemand::json_type::object || t == simdjson::ondemand::json_type::array)) {
      simdjson::ondemand::value v;
      e = doc.get_value().get(v);
      if (!e) e = walk(v);
    }
    // No error met on the way (trailing content): the location after the value.
    at(doc);
  }
  rep.errors.push_back({file, line, json_message(code)});
}

}  // namespace

std::string extension_of(const std::string& rel) {
  std::size_t slash = rel.rfind('/');
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  std::size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0) return {};
  return text::to_lower(base.substr(dot + 1));
}

// "path:line: message" lines of the Python checker → errors (`root/path`:
// the server gets absolute paths, its working directory is the project's).
void python_errors(std::string_view output, const std::string& root,
                   const std::vector<std::string>& files, SyntaxReport& rep) {
  for (const auto& l : text::split_lines(output)) {
    for (const auto& f : files) {
      std::string key = root + "/" + f + ":";
      if (l.text.substr(0, key.size()) != key) continue;
      std::string_view rest = l.text.substr(key.size());
      int line = number_at(rest);
      std::size_t sep = rest.find(": ");
      rep.errors.push_back(
          {f, line, std::string(sep == std::string_view::npos ? rest : rest.substr(sep + 2))});
      break;
    }
  }
}

std::string describe(const SyntaxError& e) {
  std::string out = "Syntax error in generated code: " + e.path;
  if (e.line > 0) out += ":" + std::to_string(e.line);
  return out + ": " + e.message;
}

bool parse_extra_check(const std::string& spec, std::string* ext, std::string* cmd) {
  std::size_t eq = spec.find('=');
  if (eq == std::string::npos) return false;
  std::string e = std::string(text::trim(std::string_view(spec).substr(0, eq)));
  if (!e.empty() && e.front() == '.') e.erase(0, 1);
  std::string c = std::string(text::trim(std::string_view(spec).substr(eq + 1)));
  if (e.empty() || c.empty() || e.find('/') != std::string::npos) return false;
  *ext = text::to_lower(e);
  *cmd = c;
  return true;
}

// check_syntax's body; Python files go to `python` (a session's server) when given.
SyntaxReport check_with(
    const std::string& root, const std::vector<std::string>& rels, const ExtraChecks& extra,
    const std::function<bool(const std::vector<std::string>&, SyntaxReport&)>& python_server) {
  SyntaxReport rep;
  std::vector<std::string> python;
  for (const auto& f : rels) {
    std::string ext = extension_of(f);
    if (auto it = extra.find(ext); it != extra.end()) {
      auto argv = split_command_line(it->second);
      if (!argv) {
        rep.notes.push_back("--check " + ext + ": " + argv.error().message + ": " + f +
                            " not checked");
        continue;
      }
      per_file_check(root, f, *argv, rep, line_after_path, generic_message);
    } else if (ext == "py") {
      python.push_back(f);
    } else if (ext == "sh" || ext == "bash") {
      per_file_check(root, f, {"bash", "-n"}, rep, bash_line, bash_message);
    } else if (ext == "js" || ext == "mjs" || ext == "cjs") {
      per_file_check(root, f, {"node", "--check"}, rep, line_after_path, node_message);
    } else if (ext == "json") {
      json_check(root, f, rep);
    }
  }
  if (!python.empty() && !python_server(python, rep)) {
    for (const auto& f : python)
      rep.notes.push_back("python3 not found: syntax check of " + f + " skipped");
  }
  // Errors in the order of the paths given.
  std::stable_sort(rep.errors.begin(), rep.errors.end(),
                   [&](const SyntaxError& a, const SyntaxError& b) {
                     return std::find(rels.begin(), rels.end(), a.path) <
                            std::find(rels.begin(), rels.end(), b.path);
                   });
  return rep;
}

SyntaxReport check_syntax(const std::string& root, const std::vector<std::string>& rels,
                          const ExtraChecks& extra) {
  SyntaxSession once(root, extra);
  return once.check(rels);
}

}  // namespace smartspec::exec
