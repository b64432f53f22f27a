// `run` and `plan` (include/smartspec/engine/engine.hpp): the inputs, the
// checks that come before anything is written (commands, the lock, the refs),
// then the run loop (runner.hpp).
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "engine/inputs.hpp"
#include "engine/isolation.hpp"
#include "engine/run_internal.hpp"
#include "engine/runner.hpp"
#include "engine/shard.hpp"
#include "engine/state.hpp"
#include "smartspec/engine/engine.hpp"
#include "smartspec/exec/command.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/plan/plan.hpp"
#include "smartspec/report/console.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

// The run's interrupt: the flag the interrupt port reads (signal_interrupt);
// a running agent (its whole tree) ends now, not at its timeout.
void on_signal(int /*sig*/) { exec::interrupt_processes(); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

// Modification time of `path` (lstat), nullopt when it does not exist.
std::optional<timespec> mtime_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim;
}

bool not_after(const timespec& a, const timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

// A SIGKILL inside a libgit2 ref update leaves "<ref>.lock" behind, and git
// never removes such files by itself. Only the debris of OUR killed run is
// removed: called only when the repository lock was taken over from a dead
// run, and only lock files of the run's own refs and of the scratch worktree
// that are regular files written while that dead run held the lock (between
// its lock's time and ours). A lock file another process (a user's git) holds
// now is newer than our lock and stays: that update then fails and says so.
void clear_stale_locks(const git::Repository& repo, const std::string& run_id,
                       const timespec& dead_since, const timespec& taken_at) {
  RunRefs refs(run_id);
  std::vector<std::string> files = {
      repo.common_dir() + "/" + refs.branch + ".lock",
      repo.common_dir() + "/" + refs.checkpoint + ".lock",
      repo.common_dir() + "/" + refs.state + ".lock",
      repo.common_dir() + "/" + std::string(kNotesRef) + ".lock",
  };  // the scratch repository's own lock files: git::Scratch::open
  std::error_code ec;
  std::vector<std::string> prefixes = {refs.failed_prefix, refs.tasks_prefix};
  // A shard's refs (--shard: any key; the lock's run id is the pack's, not the key).
  const fs::path shards = fs::path(repo.common_dir()) / "refs/smartspec/shards";
  if (fs::is_directory(shards, ec))
    for (const auto& e : fs::directory_iterator(shards, ec))
      if (e.is_directory(ec))
        prefixes.push_back("refs/smartspec/shards/" + e.path().filename().string());
  for (const std::string& prefix : prefixes) {
    fs::path dir = fs::path(repo.common_dir()) / prefix;
    if (fs::is_directory(dir, ec)) {
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".lock") files.push_back(e.path().string());
    }
  }
  for (const auto& f : files) {
    struct stat st {};
    if (::lstat(f.c_str(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode) || !not_after(dead_since, st.st_mtim) ||
        !not_after(st.st_mtim, taken_at)) {
      spdlog::warn("{} exists and is not debris of the interrupted run; left alone", f);
      continue;
    }
    if (fs::remove(f, ec)) spdlog::warn("removed {} left by an interrupted run", f);
  }
}

// Before anything is written: the run's refs can be created. A ref on the
// way (a branch named "smartspec" blocks "smartspec/<id>": git cannot hold
// both) or a lock file another git process holds on one of them would
// otherwise fail the run after its first write.
Result<void> preflight_refs(const git::Repository& repo, const std::string& run_id) {
  RunRefs refs(run_id);
  for (const std::string& name :
       {refs.branch, refs.checkpoint, refs.state, std::string(kNotesRef)}) {
    for (std::size_t slash = name.find('/', 5); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      const std::string prefix = name.substr(0, slash);
      if (!repo.read_ref(prefix)) continue;
      std::string what =
          prefix.rfind("refs/heads/", 0) == 0 ? "branch " + prefix.substr(11) : "ref " + prefix;
      return fail(
          what + " exists and blocks " + name +
          " (git cannot hold both); rename or delete it (git branch -m / git update-ref -d)");
    }
    if (!repo.list_refs(name + "/").empty()) {
      return fail("refs under " + name + "/ exist and block " + name + "; use --run-id");
    }
    const std::string lock = repo.common_dir() + "/" + name + ".lock";
    struct stat st {};
    if (::lstat(lock.c_str(), &st) == 0) {
      return fail(lock + " exists: another git process is updating " + name +
                  " (remove the file if no git command is running)");
    }
  }
  return {};
}

}  // namespace

int plan_command(const RunOptions& opts) {
  auto in = load_inputs(opts);
  if (!in) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", in.error().to_string().c_str());
    return to_int(in.error().exit);
  }
  if (opts.common.json) {
    std::fputs(plan::render_json(in->plan, in->pack).c_str(), stdout);
  } else {
    std::fputs(plan::render_text(in->plan, in->pack).c_str(), stdout);
  }
  return to_int(Exit::kOk);
}

namespace {

int error_exit(const Error& e) {
  std::fprintf(stderr, "smartspec-batch: error: %s\n", e.to_string().c_str());
  return to_int(e.exit);
}

// --resume continues the run as it started: its recorded options, unless
// the command line changes one with --force (the inputs again when the units
// chosen differ).
Result<RunOptions> options_to_use(const RunOptions& opts, Result<Inputs>& in) {
  if (!opts.resume) return opts;
  auto st = read_state(in->repo, RunRefs(in->run_id).state);
  if (!st || !*st || !(*st)->has_options) return opts;
  TRY(RunOptions merged, merge_resume_options(opts, (*st)->options, in->run_id));
  if (merged.only_categories != opts.only_categories ||
      merged.skip_categories != opts.skip_categories) {
    in = load_inputs(merged);
    if (!in) return fail(in.error());
  }
  return merged;
}

// Commands that cannot start are bad usage, found before anything is written.
Result<void> check_commands(const RunOptions& o, const git::Repository& repo) {
  for (const auto& [flag, cmd] : {std::pair<const char*, const std::string&>{"--agent", o.agent},
                                  {"--verify-cmd", o.verify_cmd}}) {
    if (cmd.empty()) continue;
    if (auto argv = exec::check_command_line(cmd, repo.is_bare() ? "" : repo.workdir()); !argv)
      return fail(std::string(flag) + ": " + argv.error().message);
  }
  if (auto sandbox = check_sandbox_options(o); !sandbox) return fail(sandbox.error().message);
  return {};
}

// The repository lock. When it is taken over from a run that died, the lock
// files of that run's interrupted ref updates are removed.
Result<git::RepoLock> take_lock(git::Repository& repo, const std::string& run_id) {
  std::optional<git::RepoLock::Holder> stale;
  // When the lock was last written by a run that has died since (its start).
  const auto dead_since = mtime_of(repo.common_dir() + "/smartspec/lock");
  TRY(auto lock, git::RepoLock::acquire(repo, run_id, &stale));
  if (stale) {
    spdlog::warn("took over the lock of run {} (pid {}), which is no longer running", stale->run_id,
                 stale->pid);
  }
  spdlog::debug("lock taken");
  if (stale && dead_since) {
    const auto taken_at = mtime_of(repo.common_dir() + "/smartspec/lock");
    if (taken_at) clear_stale_locks(repo, run_id, *dead_since, *taken_at);
  }
  spdlog::debug("stale locks cleared");
  return lock;
}

}  // namespace

int run_command(const RunOptions& opts, const Ports& ports) {
  install_signal_handlers();
  std::FILE* out = opts.common.json ? stderr : stdout;
  bool terminal = ::isatty(::fileno(out)) != 0;
  report::Console console(out, terminal, report::Console::colour_from_env(terminal),
                          opts.common.verbosity < 0);

  auto in = load_inputs(opts);
  if (!in) return error_exit(in.error());
  auto merged = options_to_use(opts, in);
  if (!merged) return error_exit(merged.error());
  mark_evidence_updates(in->plan, in->pack, *merged);  // --rename-files may come from the state
  if (auto ok = check_commands(*merged, in->repo); !ok) return error_exit(ok.error());
  if (in->plan.units.empty() && !opts.resume) {
    console.note("nothing to do: the pack has no task to run");
    if (merged->common.json)
      std::fputs("{\n  \"run_id\": \"\",\n  \"exit_code\": 0,\n  \"units\": []\n}\n", stdout);
    return to_int(Exit::kOk);
  }
  // The checker's interpreter starts now, in the scratch worktree's path (its
  // root only names the paths it is sent), so that its start-up overlaps the
  // lock, the state and the scratch rather than delaying the first check
  // (issue 21: most of a short apply run's fixed cost). Every way out below
  // ends it with the session.
  std::unique_ptr<exec::SyntaxSession> early_syntax;
  if (merged->shard_n == 0)
    if (auto base = git::Scratch::base_dir(in->repo)) {
      early_syntax = std::make_unique<exec::SyntaxSession>(*base + "/main", merged->checks);
      early_syntax->warm_up(Runner::plan_outputs(in->plan));
    }
  auto lock = take_lock(in->repo, in->run_id);
  if (!lock) return error_exit(lock.error());
  // A shard writes no run refs: nothing of the run's may block it.
  if (merged->shard_n == 0)
    if (auto ok = preflight_refs(in->repo, in->run_id); !ok) return error_exit(ok.error());
  // Processes a killed run left (an agent's setsid daemon, ...) end before
  // anything touches the worktree; ours are recorded in the same file.
  const std::string procs = in->repo.common_dir() + "/smartspec/processes";
  if (int n = exec::end_recorded_processes(procs); n > 0)
    spdlog::warn("ended {} process(es) left running by an interrupted run", n);
  exec::set_process_record(procs);
  if (merged->shard_n > 0) return run_shard(*merged, *in, console, ports);
  Runner runner(*merged, *in, console, ports);
  runner.adopt_syntax_session(std::move(early_syntax));
  return runner.run();
}

}  // namespace smartspec::engine
