// Helpers shared by every test: temporary directories, running commands,
// real git repositories isolated from the machine's configuration.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace smartspec::test {

namespace fs = std::filesystem;

// A directory removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

struct CmdResult {
  int exit_code = -1;  // exit status, or 128+signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv (no shell) in `cwd` with extra environment variables; stdin from `input`.
CmdResult run(const std::vector<std::string>& argv, const std::string& cwd = ".",
              const std::map<std::string, std::string>& env = {}, const std::string& input = "");
// Runs a shell command line via /bin/sh -c.
CmdResult sh(const std::string& command, const std::string& cwd = ".",
             const std::map<std::string, std::string>& env = {});

// Runs the real git; fails the current test (ADD_FAILURE) when it exits non-zero
// and `check` is true. Returns stdout with the final newline removed.
std::string git(const std::string& repo, const std::vector<std::string>& args, bool check = true);

// Path of the built smartspec-batch binary; runs it.
std::string binary();
CmdResult run_tool(const std::vector<std::string>& args, const std::string& cwd,
                   const std::map<std::string, std::string>& env = {});

// Runs the tool with its stdout and stderr on a pseudo-terminal (raw mode)
// in `cwd`, stdin /dev/null. `on_output` sees everything read so far after
// each read (it may act, e.g. release a waiting agent). The exit code, or
// 128+signal; `out` gets what the terminal showed.
int run_tool_on_terminal(const std::vector<std::string>& args, const std::string& cwd,
                         std::string& out,
                         const std::function<void(const std::string&)>& on_output);

// Writes a file, creating parent directories.
void write(const fs::path& p, const std::string& content);
std::string read(const fs::path& p);

// `tests/data` in the source tree (absolute): the committed test data.
fs::path fixtures();
// `examples/` in the source tree.
fs::path source_dir();

// Creates a git repository with a fixed identity and one commit of `files`
// (path → content). Returns its path (inside dir).
std::string make_repo(const TempDir& dir, const std::map<std::string, std::string>& files,
                      const std::string& name = "repo");
// Copies tests/data/<project>/repo + tasks.md into dir/name, commits it.
std::string make_project_repo(const TempDir& dir, const std::string& project,
                              const std::string& name = "repo");
// Copies tests/data/inventory/repo + tasks.md into dir/name, commits it.
std::string make_inventory_repo(const TempDir& dir, const std::string& name = "repo");

// A snapshot of what the user owns: HEAD, branches, index, working tree
// (including untracked and ignored files). Equal snapshots = untouched.
std::string user_state(const std::string& repo);

// The tool's scratch worktree of `repo`: $XDG_CACHE_HOME/smartspec-batch/
// <dir name>-<16 hex of the git blob hash of the real path of .git>/<name>.
std::string scratch_path(const std::string& repo, const std::string& name = "main");

// Every path under root except a worktree's .git link; directories end in '/'.
std::set<std::string> files_under(const std::string& root);

// A process is gone when kill(0) fails, or when only its zombie is left for an
// init that does not reap.
bool process_gone(int pid);

}  // namespace smartspec::test
