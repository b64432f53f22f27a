#include "smartspec/exec/command.hpp"

#include <filesystem>

#include "smartspec/exec/process.hpp"

namespace smartspec::exec {

Result<std::vector<std::string>> check_command_line(const std::string& cmd,
                                                    const std::string& relative_to) {
  TRY(auto argv, split_command_line(cmd));
  if (argv.empty() || argv.front().empty()) return fail("empty command");
  const std::string& program = argv.front();
  if (program.front() == '/') {
    if (!is_executable_file(program)) return fail(program + ": not an executable file");
    return argv;
  }
  if (program.find('/') != std::string::npos) {
    // It runs in the scratch worktree, which holds the repository's files
    // and nothing beside them: "../agent.sh" would be found here and not there.
    const std::string normal = std::filesystem::path(program).lexically_normal().string();
    if (!relative_to.empty() && (normal == ".." || normal.rfind("../", 0) == 0)) {
      return fail(program +
                  ": a relative program path is taken from the scratch worktree, a copy of the "
                  "repository, and this one leads out of it: give an absolute path");
    }
    if (!relative_to.empty() && !is_executable_file(relative_to + "/" + program))
      return fail(program + ": not an executable file");
    return argv;
  }
  // The PATH the child will get (run_process resolves argv[0] with it).
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& kv : child_environment({}))
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  if (!find_program(program, path).empty()) return argv;
  return fail(program + ": command not found on PATH");
}

}  // namespace smartspec::exec
