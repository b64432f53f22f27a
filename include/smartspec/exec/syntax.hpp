// Syntax checks of written files (docs/DESIGN.md "Execution"), batched: one
// checker process per language per call where the checker takes many files
// (Python), one cheap process per file otherwise (bash -n, node --check),
// JSON in-process with simdjson. A checker that is not installed is skipped
// with a note, never a failure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "smartspec/exec/interpreter.hpp"

namespace smartspec::exec {

struct SyntaxError {
  std::string path;  // relative, as given
  int line = 0;      // 1-based; 0 when the checker names none
  std::string message;
  bool operator==(const SyntaxError&) const = default;
};

struct SyntaxReport {
  std::vector<SyntaxError> errors;   // in the order of the paths given
  std::vector<std::string> notes;    // "python3 not found: syntax check of a.py skipped" ...
  std::vector<std::string> checked;  // paths a checker actually looked at
};

// Extra checkers: extension without the dot, lower-case ("rb") → command line
// (parsed like a shell command line; the file path is appended). They take
// precedence over the built-in checkers for that extension.
using ExtraChecks = std::map<std::string, std::string>;

// Checks the files `rels` (relative to `root`; checkers run with root as the
// working directory). Built-in: .py (python3), .sh/.bash (bash -n), .js/.mjs/.cjs
// (node --check), .json (simdjson). Files of other extensions are not checked
// and get no note.
SyntaxReport check_syntax(const std::string& root, const std::vector<std::string>& rels,
                          const ExtraChecks& extra = {});

// "Syntax error in generated code: <path>:<line>: <message>" (":<line>" only when known).
std::string describe(const SyntaxError& e);

// check_syntax for many calls in a row (a run's tasks): Python files go to one
// long-lived `python3` process instead of one interpreter start per call (the
// hot path of a run); without python3 they are skipped with a note. Not
// thread-safe; the process ends with the session.
class SyntaxSession {
 public:
  // `home`: where `python3` is resolved (its working directory; default the
  // root) and where the answer of a version-manager shim is remembered.
  SyntaxSession(std::string root, ExtraChecks extra, PythonHome home = default_python_home());
  ~SyntaxSession();
  SyntaxSession(const SyntaxSession&) = delete;
  SyntaxSession& operator=(const SyntaxSession&) = delete;
  SyntaxReport check(const std::vector<std::string>& rels);
  // Starts the Python checker now when any of `rels` will be checked by it,
  // so that its start-up (an interpreter, maybe behind a version-manager
  // shim) overlaps the caller's work instead of delaying the first check.
  void warm_up(const std::vector<std::string>& rels);
  // The interpreter that runs the Python checker as it names itself
  // (sys.executable), once it has answered a check; "" before.
  const std::string& interpreter() const { return interpreter_; }
  // The directory the checked paths are relative to (absolute, normalised).
  const std::string& root() const { return root_; }

 private:
  bool start();
  void stop();
  bool python(const std::vector<std::string>& files, SyntaxReport& rep);
  std::string root_;
  ExtraChecks extra_;
  PythonHome home_;
  PythonChoice choice_;
  std::string interpreter_;
  bool handshake_ = false;
  int pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  bool failed_ = false;
};

// Parses a "--check EXT=CMD" value; EXT may carry a leading dot and is returned
// lower-case without it. False when the value is not of that form.
bool parse_extra_check(const std::string& spec, std::string* ext, std::string* cmd);

}  // namespace smartspec::exec
