// What a command is given: the program found on PATH, the words of a
// command line, and the environment without the variables that would point
// a child's git at another repository.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "smartspec/exec/process.hpp"
#include "smartspec/tasks/tasks.hpp"

extern char** environ;

namespace smartspec::exec {

const std::vector<std::string>& git_local_env_vars() {
  static const std::vector<std::string> vars = {
      // `git rev-parse --local-env-vars` (git 2.39)
      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
      "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE",
      "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE",
      "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
      // What hooks and wrappers may also carry and that would point a child elsewhere.
      "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_QUARANTINE_PATH",
      "GIT_DISCOVERY_ACROSS_FILESYSTEM"};
  return vars;
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  const auto& drop = git_local_env_vars();
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    if (std::find(drop.begin(), drop.end(), name) != drop.end()) continue;
    // GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n go with GIT_CONFIG_COUNT.
    if (name.rfind("GIT_CONFIG_KEY_", 0) == 0 || name.rfind("GIT_CONFIG_VALUE_", 0) == 0) continue;
    if (extra.count(std::string(name)) != 0) continue;
    out.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

Result<std::vector<std::string>> split_command_line(const std::string& cmd) {
  TRY(auto words, tasks::shell_split(cmd));
  if (words.empty()) return fail("empty command: '" + cmd + "'");
  return words;
}

bool is_executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

std::string find_program(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : std::string();
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(cand)) return cand;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

}  // namespace smartspec::exec
