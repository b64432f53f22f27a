#include "smartspec/exec/sandbox.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "smartspec/exec/process.hpp"

namespace smartspec::exec {

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// `name` looked up as execvp would, in this process's PATH.
std::string in_path(const std::string& name) {
  const char* env = std::getenv("PATH");
  return find_program(name, env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin");
}

}  // namespace

std::string find_bwrap() { return in_path("bwrap"); }

Result<std::vector<std::string>> sandboxed_argv(const std::string& bwrap,
                                                const std::vector<std::string>& argv,
                                                const std::string& cwd, const SandboxSpec& spec) {
  if (argv.empty()) return fail("empty command");
  std::string program = in_path(argv[0]);
  const bool found = !program.empty();
  if (!found) program = argv[0];  // bwrap's own lookup then says it is missing
  if (found && program[0] != '/') {
    char* real = ::realpath(program.c_str(), nullptr);
    if (real != nullptr) {
      program = real;
      std::free(real);
    }
  }
  std::vector<std::string> out = {bwrap, "--die-with-parent", "--new-session", "--unshare-pid"};
  // Read-only everything, fresh /dev and /proc, a private /tmp.
  for (const char* a :
       {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"})
    out.emplace_back(a);
  auto bind = [&out](const char* how, const std::string& p) { out.insert(out.end(), {how, p, p}); };
  for (const auto& r : spec.readable)
    if (!r.empty() && r[0] == '/' && exists(r)) bind("--ro-bind", r);
  if (found) bind("--ro-bind", program);
  for (const auto& w : spec.writable) bind("--bind", w);
  out.insert(out.end(), {"--chdir", cwd, "--", program});
  out.insert(out.end(), argv.begin() + 1, argv.end());
  return out;
}

}  // namespace smartspec::exec
