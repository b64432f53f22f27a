// `--agent-sandbox`: the agent runs under bubblewrap (Debian package
// `bubblewrap`, /usr/bin/bwrap). The argv is built here, in the only module
// that starts processes; run_process() runs it like any other.
#pragma once

#include <string>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::exec {

// `bwrap` found in PATH (the tool's own environment); "" when missing.
std::string find_bwrap();

struct SandboxSpec {
  // Read-write inside the sandbox: the scratch worktree and its git
  // directory, and the user's --agent-writable directories. Absolute.
  std::vector<std::string> writable;
  // Bound back read-only after the private /tmp hides what lies there: the
  // repository, the prompt's directory, the tasks file. Absolute; missing
  // ones are left out.
  std::vector<std::string> readable;
};

// The argv that runs `argv` under bwrap: the whole filesystem read-only
// (--ro-bind / /), a fresh /dev and /proc, a private /tmp (tmpfs), the
// `readable` paths bound back read-only, the `writable` ones read-write
// (later binds win, so a writable directory inside a readable one is
// writable), its own PID namespace (--unshare-pid), killed when the tool
// dies (--die-with-parent), no controlling terminal (--new-session), `cwd`
// as working directory. The network is left as it is. argv[0] is resolved
// in PATH here and the program bound back read-only too (one that is not
// found is left to bwrap, which says so and exits 1). Error: empty argv.
Result<std::vector<std::string>> sandboxed_argv(const std::string& bwrap,
                                                const std::vector<std::string>& argv,
                                                const std::string& cwd, const SandboxSpec& spec);

}  // namespace smartspec::exec
