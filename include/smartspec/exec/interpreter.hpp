// Which `python3` the syntax checker starts (docs/DESIGN.md "Syntax checks",
// "The checker's interpreter"): always the one the user's PATH gives in the
// project's directory. When that is a pyenv shim (a bash script that asks
// `pyenv exec` which interpreter a directory uses, ~60–80 ms a start), the
// answer is remembered per repository, under a key made of everything the
// shim's answer depends on, and the interpreter is then started directly.
#pragma once

#include <string>
#include <vector>

namespace smartspec::exec {

// Where the checker resolves `python3` and where it remembers the answer.
struct PythonHome {
  std::string project_dir;  // the checker's working directory ("" = the session's root)
  std::string cache_file;   // the remembered answer ("" = resolve every time)
};

// The home a SyntaxSession gets when none is given: set once per process by
// the command that knows the repository (engine::load_inputs); empty until then.
void set_default_python_home(PythonHome home);
PythonHome default_python_home();

struct PythonChoice {
  std::string direct;  // an interpreter to start directly (a remembered answer), or ""
  std::string key;     // the key of the shim's answer; "" when not remembered (no shim)
};

// Decides how to start `python3` for `home` with the child environment `envp`
// (NAME=VALUE strings): `direct` is set only when PATH's python3 is a pyenv
// shim and the cache holds an answer under today's key that names an
// executable file. Reads a few small files; starts nothing.
PythonChoice choose_python3(const PythonHome& home, const std::vector<std::string>& envp);

// Records `executable` (the interpreter the shim started, as it reported
// itself) as the answer under `key`. Best effort: a cache that cannot be
// written only costs the next run the shim's start.
void remember_python3(const PythonHome& home, const std::string& key,
                      const std::string& executable);

// The key of the shim's answer (empty when PATH's python3 is not a pyenv
// shim): exposed for tests and `-v`.
std::string python3_key(const std::string& project_dir, const std::vector<std::string>& envp);

}  // namespace smartspec::exec
