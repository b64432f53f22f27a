#include "engine/isolation.hpp"

#include <filesystem>

#include "smartspec/exec/sandbox.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

std::string absolute_dir(const std::string& d) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(d, ec), ec);
  return ec ? d : p.string();
}

}  // namespace

// The scratch's whole base directory is the tool's: with --jobs every lane's
// checkout is there, and a snapshot taken by one lane's check serves another's.
UserStateCheck::UserStateCheck(const git::Repository& repo, const git::Scratch& scratch)
    : repo_(repo),
      skip_{scratch.path(), scratch.git_dir(), fs::path(scratch.path()).parent_path().string()} {}

Result<void> UserStateCheck::before() {
  TRY(before_, git::user_state(repo_, skip_));
  return {};
}

Result<std::string> UserStateCheck::after(const std::string& who) {
  TRY(after_, git::user_state(repo_, skip_));
  auto changed = git::user_state_changes(before_, after_);
  if (changed.empty()) return std::string();
  std::string line = who + " changed your repository outside its worktree: ";
  const std::size_t shown = std::min<std::size_t>(changed.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) line += (i == 0 ? "" : ", ") + changed[i];
  if (changed.size() > shown) line += " and " + std::to_string(changed.size() - shown) + " more";
  return line;
}

Result<void> check_sandbox_options(const RunOptions& opts) {
  if (!opts.agent_writable.empty() && !opts.agent_sandbox) {
    return fail("--agent-writable needs --agent-sandbox");
  }
  if (!opts.agent_sandbox) return {};
  if (opts.agent.empty()) return fail("--agent-sandbox needs --agent");
  if (exec::find_bwrap().empty()) {
    return fail(
        "--agent-sandbox needs bubblewrap (bwrap), which is not installed or not in PATH "
        "(Debian: apt-get install bubblewrap)");
  }
  for (const auto& d : opts.agent_writable) {
    std::error_code ec;
    if (d.empty() || !fs::is_directory(d, ec)) {
      return fail("--agent-writable " + d + ": not an existing directory");
    }
  }
  return {};
}

std::vector<std::string> agent_argv(const RunOptions& opts, const git::Repository& repo,
                                    const git::Scratch& scratch, std::vector<std::string> argv,
                                    const std::vector<std::string>& readable) {
  if (!opts.agent_sandbox) return argv;
  exec::SandboxSpec spec;
  if (!repo.workdir().empty()) spec.readable.push_back(repo.workdir());
  spec.readable.push_back(repo.common_dir());
  for (const auto& r : readable) spec.readable.push_back(absolute_dir(r));
  spec.writable = {scratch.path(), scratch.git_dir()};
  for (const auto& w : opts.agent_writable) spec.writable.push_back(absolute_dir(w));
  auto wrapped = exec::sandboxed_argv(exec::find_bwrap(), argv, scratch.path(), spec);
  if (!wrapped) return argv;  // empty: run_process says so
  return *wrapped;
}

}  // namespace smartspec::engine
