#include "smartspec/exec/command.hpp"

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
