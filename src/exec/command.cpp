#include "smartspec/exec/command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "smartspec/exec/process.hpp"

namespace smartspec::exec {

namespace {

bool executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::vector<std::string>> check_command_line(const std::string& cmd,
                                                    const std::string& relative_to) {
  TRY(auto argv, split_command_line(cmd));
  if (argv.empty() || argv.front().empty()) return fail("empty command");
  const std::string& program = argv.front();
  if (program.front() == '/') {
    if (!executable_file(program)) return fail(program + ": not an executable file");
    return argv;
  }
  if (program.find('/') != std::string::npos) {
    if (!relative_to.empty() && !executable_file(relative_to + "/" + program))
      return fail(program + ": not an executable file");
    return argv;
  }
  // The PATH the child will get (run_process resolves argv[0] with it).
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& kv : child_environment({}))
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (executable_file((dir.empty() ? std::string(".") : dir) + "/" + program)) return argv;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return fail(program + ": command not found on PATH");
}

}  // namespace smartspec::exec
