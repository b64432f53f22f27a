// `run`: executes the plan unit by unit on the scratch worktree; each unit is
// one commit published by compare-and-swap of the checkpoint ref (the commit
// point) and then of the result branch (derived, repaired on the next start).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "engine/agent.hpp"
#include "engine/agent_progress.hpp"
#include "engine/isolation.hpp"
#include "engine/inputs.hpp"
#include "engine/run_internal.hpp"
#include "engine/state.hpp"
#include "smartspec/engine/ops.hpp"
#include "smartspec/engine/engine.hpp"
#include "smartspec/exec/apply.hpp"
#include "smartspec/exec/command.hpp"
#include "smartspec/exec/confine.hpp"
#include "smartspec/exec/evidence_hooks.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/report/console.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/path_rules.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int sig) {
  g_interrupted = sig;
  exec::interrupt_processes();  // a running agent (its whole tree) ends now, not at its timeout
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

// What the executor says; the engine classifies kSucceeded against the
// evidence on the unit's tree (classify_unit).
report::TaskStatus to_report(exec::TaskStatus s) {
  switch (s) {
    case exec::TaskStatus::kSucceeded:
    case exec::TaskStatus::kAlreadyPresent: return report::TaskStatus::kSucceeded;
    case exec::TaskStatus::kFailed: return report::TaskStatus::kFailed;
    case exec::TaskStatus::kRefused: return report::TaskStatus::kRefused;
    case exec::TaskStatus::kSkippedNeedsAgent: return report::TaskStatus::kNeedsAgent;
  }
  return report::TaskStatus::kFailed;
}

bool changed_files(const report::TaskReport& t) {
  if (!t.files_created.empty() || !t.files_modified.empty() || !t.files_renamed.empty()) return true;
  for (const auto& n : t.notes)
    if (n.rfind("deleted ", 0) == 0) return true;
  return false;
}

std::string quote(std::string_view s) {
  auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:@%+=,").find(c) != std::string_view::npos;
  };
  if (!s.empty() && std::all_of(s.begin(), s.end(), safe)) return std::string(s);
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string short_id(const std::string& oid) { return oid.substr(0, 7); }

}  // namespace

// The command that reproduces a run: its inputs and every option that shapes
// it and is not the default (what `--resume` restores).
std::string command_line(const RunOptions& o, const std::string& run_id) {
  std::string cmd = "smartspec-batch run --prompts-dir " + quote(o.prompts_dir);
  if (!o.tasks.empty()) cmd += " --tasks " + quote(o.tasks);
  std::string_view dir = o.prompts_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  std::size_t slash = dir.rfind('/');
  std::string_view base = slash == std::string_view::npos ? dir : dir.substr(slash + 1);
  if (base != run_id) cmd += " --run-id " + quote(run_id);
  const RunOptions d;
  if (!o.only_categories.empty()) cmd += " --only-category " + quote(join(o.only_categories, ","));
  if (!o.skip_categories.empty()) cmd += " --skip-category " + quote(join(o.skip_categories, ","));
  if (!o.agent.empty()) cmd += " --agent " + quote(o.agent);
  if (o.agent_timeout != d.agent_timeout) cmd += " --agent-timeout " + std::to_string(o.agent_timeout);
  if (o.agent_attempts != d.agent_attempts)
    cmd += " --agent-attempts " + std::to_string(o.agent_attempts);
  if (o.agent_per != d.agent_per) cmd += " --agent-per " + quote(o.agent_per);
  if (o.agent_sandbox) cmd += " --agent-sandbox";
  for (const auto& w : o.agent_writable) cmd += " --agent-writable " + quote(w);
  if (!o.verify_cmd.empty()) cmd += " --verify-cmd " + quote(o.verify_cmd);
  if (o.max_failures != d.max_failures) cmd += " --max-failures " + std::to_string(o.max_failures);
  if (o.verify_after_each) cmd += " --verify-after-each";
  if (!o.verify_at_end) cmd += " --no-verify-at-end";
  if (o.overwrite) cmd += " --overwrite";
  if (!o.evidence_hooks) cmd += " --no-evidence-hooks";
  if (o.mark_done) cmd += " --mark-done";
  if (o.apply_skeletons) cmd += " --apply-skeletons";
  for (const auto& [ext, c] : o.checks) cmd += " --check " + quote(ext + "=" + c);
  if (o.run_hooks) cmd += " --run-hooks";
  if (o.checkpoint) cmd += " --checkpoint";
  if (o.land) cmd += " --land";
  if (o.rename_files) cmd += " --rename-files";
  return cmd;
}

// --resume: the run's recorded options, with those given on the command line
// where they agree (or with --force); a given option that differs is an error.
Result<RunOptions> merge_resume_options(const RunOptions& cli, const RunOptions& saved,
                                        const std::string& run_id) {
  RunOptions out = cli;
  std::vector<std::string> conflicts;
  auto take = [&](const char* name, auto RunOptions::*field, auto show) {
    if (!cli.given.count(name)) {
      out.*field = saved.*field;
    } else if (!(cli.*field == saved.*field)) {
      conflicts.push_back(std::string(name) + " " + show(cli.*field) + " (the run has " +
                          show(saved.*field) + ")");
    }
  };
  auto str = [](const std::string& v) { return v.empty() ? std::string("''") : quote(v); };
  auto num = [](int v) { return std::to_string(v); };
  auto flag = [](bool v) { return std::string(v ? "on" : "off"); };
  auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("none") : join(v, ","); };
  auto checks = [](const std::map<std::string, std::string>& m) {
    std::vector<std::string> v;
    for (const auto& [e, c] : m) v.push_back(e + "=" + c);
    return v.empty() ? std::string("none") : quote(join(v, " "));
  };
  take("--only-category", &RunOptions::only_categories, list);
  take("--skip-category", &RunOptions::skip_categories, list);
  take("--agent", &RunOptions::agent, str);
  take("--agent-timeout", &RunOptions::agent_timeout, num);
  take("--agent-attempts", &RunOptions::agent_attempts, num);
  take("--agent-per", &RunOptions::agent_per, str);
  take("--agent-sandbox", &RunOptions::agent_sandbox, flag);
  take("--agent-writable", &RunOptions::agent_writable, list);
  take("--verify-cmd", &RunOptions::verify_cmd, str);
  take("--max-failures", &RunOptions::max_failures, num);
  take("--verify-after-each", &RunOptions::verify_after_each, flag);
  take("--verify-at-end", &RunOptions::verify_at_end, flag);
  take("--overwrite", &RunOptions::overwrite, flag);
  take("--no-evidence-hooks", &RunOptions::evidence_hooks, flag);
  take("--mark-done", &RunOptions::mark_done, flag);
  take("--apply-skeletons", &RunOptions::apply_skeletons, flag);
  take("--check", &RunOptions::checks, checks);
  take("--run-hooks", &RunOptions::run_hooks, flag);
  take("--checkpoint", &RunOptions::checkpoint, flag);
  take("--land", &RunOptions::land, flag);
  take("--rename-files", &RunOptions::rename_files, flag);
  if (!conflicts.empty() && !cli.force) {
    return fail(Error{{}, 0,
                      "--resume: " + join(conflicts, "; ") + " differs from run " + run_id +
                          "; leave it out to continue the run as it started, or add --force to change it"});
  }
  return out;
}

bool interrupted() { return g_interrupted != 0; }

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
  fs::path failed = fs::path(repo.common_dir()) / refs.failed_prefix;
  if (fs::is_directory(failed, ec)) {
    for (const auto& e : fs::directory_iterator(failed, ec))
      if (e.path().extension() == ".lock") files.push_back(e.path().string());
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
  for (const std::string& name : {refs.branch, refs.checkpoint, refs.state, std::string(kNotesRef)}) {
    for (std::size_t slash = name.find('/', 5); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      const std::string prefix = name.substr(0, slash);
      if (!repo.read_ref(prefix)) continue;
      std::string what = prefix.rfind("refs/heads/", 0) == 0 ? "branch " + prefix.substr(11)
                                                            : "ref " + prefix;
      return fail(what + " exists and blocks " + name +
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

int plan_command(const RunOptions& opts) {
  auto in = load_inputs(opts);
  if (!in) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", in.error().to_string().c_str());
    return static_cast<int>(in.error().exit);
  }
  if (opts.common.json) {
    std::fputs(plan::render_json(in->plan, in->pack).c_str(), stdout);
  } else {
    std::fputs(plan::render_text(in->plan, in->pack).c_str(), stdout);
  }
  return 0;
}

namespace {

class Runner {
 public:
  Runner(const RunOptions& opts, Inputs& in, report::Console& console, const Ports& ports)
      : opts_(opts),
        in_(in),
        repo_(in.repo),
        refs_(in.run_id),
        console_(console),
        clock_(*ports.clock),
        crash_(*ports.crash),
        procs_(*ports.processes) {}

  int run();

 private:
  Result<int> start_or_resume();
  Result<bool> run_unit(const plan::PlannedUnit& unit, report::UnitReport& ur);
  Result<std::vector<git::Repository::Change>> collect_changes(
      const std::vector<std::string>& paths);
  Result<void> publish(const std::string& commit);
  std::string commit_message(const plan::PlannedUnit& unit,
                             const std::vector<const report::TaskReport*>& done) const;
  void verify_before();
  std::optional<report::VerifyFigures> verify_tree(const std::string& commit,
                                                   verify::Summary* out = nullptr);
  Result<void> save_failed(const plan::PlannedUnit& unit, const std::string& tree,
                           const std::string& reason);
  std::vector<std::string> unit_paths(const plan::PlannedUnit& unit) const;
  report::TaskReport begin_task(const plan::PlannedTask& t, const std::string& uname,
                                std::string& fail_reason, bool* skip);
  void count_failure(std::string& fail_reason);
  Result<std::string> apply_tasks(const plan::PlannedUnit& unit, report::UnitReport& ur,
                                  std::string& fail_reason);
  Result<std::string> agent_tasks(const plan::PlannedUnit& unit, report::UnitReport& ur,
                                  std::string& fail_reason);
  void add_evidence_hooks(const plan::PlannedTask& t, const PackTask& pt, exec::FileTxn& txn);
  Result<std::string> run_commit_hooks(std::string& tree, std::string& message);
  bool naming_by_evidence(const plan::PlannedTask& t, const PackTask& pt, exec::FileTxn& txn,
                          exec::TaskOutcome& out);
  void check_references(exec::TaskOutcome& out, exec::FileTxn& txn);
  void classify_unit(report::UnitReport& ur, const verify::Summary& s,
                     std::vector<std::string>* verified, std::vector<std::string>* unverified);
  void print_tasks(const report::UnitReport& ur);
  int finish(int exit_code);
  Result<void> write_reports(std::string& json);
  void write_checkpoint_mirror(const std::string& current_unit, const std::string& current_task);
  // False when no .gitattributes on rel's way and no configuration can change
  // its line endings (cached per directory and checkpoint).
  bool eol_rules_may_apply(const std::string& rel);
  std::string line_ending(const std::string& rel);

  const RunOptions& opts_;
  Inputs& in_;
  git::Repository& repo_;
  RunRefs refs_;
  report::Console& console_;
  const Clock& clock_;
  CrashPort& crash_;
  ProcessRunner& procs_;
  // The end of a failed agent call's output, printed under the task's line.
  std::map<std::string, std::vector<std::string>> agent_tails_;
  std::optional<git::Scratch> scratch_;
  RunState state_;
  std::string checkpoint_;  // current checkpoint commit
  std::string plan_json_;
  report::RunReport report_;
  std::set<std::string> already_done_;
  bool tasks_tracked_ = false;
  int failures_ = 0;
  int task_n_ = 0;
  int task_total_ = 0;
  double started_at_ = 0;
  std::string log_dir_;  // agent logs of this run
  std::unique_ptr<exec::SyntaxSession> syntax_;
  bool checkout_checked_ = false;  // the full checkout was compared with the checkpoint
  bool verify_cmd_ran_ = false;    // --verify-cmd ran in it since
  // line_ending()'s fast path.
  std::optional<bool> eol_neutral_;
  std::unique_ptr<verify::FileSource> attr_source_;
  std::string attr_commit_;
  std::map<std::string, bool> attr_dirs_;  // directory → has a .gitattributes
};

bool Runner::eol_rules_may_apply(const std::string& rel) {
  // libgit2's attribute lookup reads the whole index each time; most paths
  // have no .gitattributes on their way, and then only the config decides.
  if (!eol_neutral_) eol_neutral_ = git::eol_settings_neutral(repo_);
  if (*eol_neutral_) {
    if (!attr_source_ || attr_commit_ != checkpoint_) {
      attr_source_ = git::tree_source(repo_, checkpoint_);
      attr_commit_ = checkpoint_;
      attr_dirs_.clear();
    }
    bool any = false;
    std::string dir = rel;
    while (!any) {
      auto slash = dir.rfind('/');
      dir = slash == std::string::npos ? std::string() : dir.substr(0, slash);
      auto it = attr_dirs_.find(dir);
      if (it == attr_dirs_.end()) {
        bool has = false;
        for (const auto& e : attr_source_->list(dir)) has = has || e.name == ".gitattributes";
        it = attr_dirs_.emplace(dir, has).first;
      }
      any = it->second;
      if (dir.empty()) break;
    }
    if (!any) return false;
  }
  return true;
}

std::string Runner::line_ending(const std::string& rel) {
  return eol_rules_may_apply(rel) ? repo_.checkout_eol(checkpoint_, rel) : std::string("\n");
}

Result<int> Runner::start_or_resume() {
  TRY(auto existing, read_state(repo_, refs_.state));
  if (existing && !opts_.resume) {
    return fail(Error{{}, 0,
                      "run " + in_.run_id + " already exists (" + existing->status +
                          "): use --resume to continue it, `smartspec-batch abort " + in_.run_id +
                          " --delete-branch` to drop it, or --run-id for a new run"});
  }
  if (!existing && opts_.resume) {
    return fail(Error{{}, 0, "no run " + in_.run_id + " to resume (see `smartspec-batch status`)"});
  }
  if (existing) {
    state_ = *existing;
    if (state_.base != in_.base) {
      // The plan was made against HEAD; a resume continues on the run's base.
      if (!opts_.base.empty()) {
        return fail(Error{{}, 0, "--base " + opts_.base + " is not the base of run " + in_.run_id +
                                     " (" + short_id(state_.base) + ")"});
      }
      auto again = load_inputs(opts_, state_.base);
      if (!again) return fail(again.error());
      in_.plan = std::move(again->plan);
      in_.base = state_.base;
    }
    if (state_.pack_digest != in_.digest && !opts_.force) {
      return fail(Error{opts_.prompts_dir, 0,
                        "the pack changed since run " + in_.run_id +
                            " started; use --force to resume with the new content"});
    }
    if (state_.status == "finished") {
      console_.note("run " + in_.run_id + " already finished; nothing to resume");
      report::RunReport done;
      for (const auto& [u, t] : state_.results) {
        if (done.units.empty() || unit_name(done.units.back().unit) != u) {
          done.units.emplace_back();
          if (auto parsed = unit_from_name(u)) done.units.back().unit = *parsed;
        }
        done.units.back().tasks.push_back(t);
      }
      if (!state_.results.empty()) console_.note(report::totals_line(report::totals(done)));
      if (state_.exit_code >= 0) {
        console_.note("it ended with exit " + std::to_string(state_.exit_code) + " (" +
                      std::string(report::exit_meaning(state_.exit_code)) +
                      "); see `smartspec-batch show " + in_.run_id + "`");
      }
      return 0;
    }
    state_.pack_digest = in_.digest;
    state_.options = opts_;
    state_.options.given.clear();
    state_.has_options = true;
    state_.mode = opts_.agent.empty() ? "apply" : "agent";
    report_.resumed = true;
    failures_ = state_.failures;
  } else {
    // A branch or checkpoint without state: debris of a run killed before its
    // first state write, or a user's branch with our name.
    auto branch = repo_.read_ref(refs_.branch);
    auto cp = repo_.read_ref(refs_.checkpoint);
    if (branch && *branch != in_.base && (!cp || *cp != *branch)) {
      return fail(Error{{}, 0, "branch smartspec/" + in_.run_id +
                                   " exists and is not a run's result; use --run-id"});
    }
    state_.run_id = in_.run_id;
    state_.base = in_.base;
    state_.pack_digest = in_.digest;
    state_.prompts_dir = opts_.prompts_dir;
    state_.tasks_path = opts_.tasks;
    state_.started = report_.started;
    state_.mode = opts_.agent.empty() ? "apply" : "agent";
    state_.options = opts_;
    state_.options.given.clear();
    state_.has_options = true;
    for (const auto& u : in_.plan.units) state_.units.emplace_back(unit_name(u.unit));
    state_.total_tasks = static_cast<int>(in_.plan.task_count());
    state_.updated = clock_.iso8601();
    TRY_VOID(write_state(repo_, refs_.state, state_, plan_json_, "started"));
    crash_.step();
    if (!repo_.read_ref(refs_.checkpoint)) {
      TRY_VOID(repo_.update_ref(refs_.checkpoint, in_.base, std::nullopt,
                                "smartspec: start run " + in_.run_id));
      crash_.step();
    }
  }
  auto cp = repo_.read_ref(refs_.checkpoint);
  if (!cp) {
    TRY_VOID(repo_.update_ref(refs_.checkpoint, state_.base, std::nullopt,
                              "smartspec: start run " + in_.run_id));
    cp = state_.base;
  }
  checkpoint_ = *cp;
  // The branch follows the checkpoint (a kill between the two updates leaves
  // it one unit behind): bring it there.
  auto branch = repo_.read_ref(refs_.branch);
  if (!branch || *branch != checkpoint_) {
    TRY_VOID(repo_.update_ref(refs_.branch, checkpoint_, branch,
                              "smartspec: result of run " + in_.run_id));
    crash_.step();
  }
  return -1;  // go on
}

void Runner::verify_before() {
  verify::Summary summary;
  auto figures = verify_tree(in_.base, &summary);
  if (opts_.verify_at_end || opts_.verify_after_each) report_.before = figures;
  for (const auto& t : summary.tasks)
    if (t.verified) already_done_.insert(t.id);
}

std::optional<report::VerifyFigures> Runner::verify_tree(const std::string& commit,
                                                         verify::Summary* out) {
  // tasks.md as the commit has it when tracked (evidence hooks may have been
  // added by earlier units), else the file given.
  TasksDoc doc = in_.tasks;
  if (tasks_tracked_) {
    if (auto text = repo_.read_file(commit, in_.tasks_rel)) {
      if (auto parsed = tasks::parse(*text, in_.tasks.path)) doc = std::move(*parsed);
    }
  }
  auto source = git::tree_source(repo_, commit);
  verify::Summary s = verify::verify(doc, *source);
  report::VerifyFigures f{s.totals.tasks, s.totals.verified, s.totals.not_verified};
  if (out != nullptr) *out = std::move(s);
  return f;
}

Result<std::vector<git::Repository::Change>> Runner::collect_changes(
    const std::vector<std::string>& paths) {
  std::vector<git::Repository::Change> changes;
  for (const auto& rel : paths) {
    std::string abs = scratch_->path() + "/" + rel;
    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0) {
      changes.push_back({rel, std::nullopt, 0100644});
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      return fail(rel, 0, "not a regular file after the task ran; refused");
    }
    TRY(auto bytes, text::read_file(abs));
    // What `git add` would store: a CRLF file written for an eol=crlf rule is LF in git.
    if (eol_rules_may_apply(rel)) bytes = repo_.to_odb(checkpoint_, rel, std::move(bytes));
    changes.push_back({rel, std::move(bytes), (st.st_mode & S_IXUSR) ? 0100755u : 0100644u});
  }
  return changes;
}

std::string Runner::commit_message(const plan::PlannedUnit& unit,
                                   const std::vector<const report::TaskReport*>& done) const {
  std::string name(unit_name(unit.unit));
  std::string msg = "smartspec(" + name + "): " + std::to_string(done.size()) +
                    (done.size() == 1 ? " task" : " tasks") + "\n\n";
  std::string ids;
  for (const auto* t : done) {
    // Ids and titles come from the pack: no control character or escape
    // sequence reaches the message (nor `git log` on a terminal).
    const std::string id = paths::printable(t->id);
    msg += "- " + id + (t->title.empty() ? "" : ": " + paths::printable(t->title)) + "\n";
    ids += (ids.empty() ? "" : ", ") + id;
  }
  msg += "\nSmartspec-Run: " + in_.run_id + "\n";
  msg += "Smartspec-Unit: " + name + "\n";
  msg += "Smartspec-Tasks: " + ids + "\n";
  msg += "Smartspec-Pack-Digest: " + in_.digest + "\n";
  return msg;
}

Result<void> Runner::publish(const std::string& commit) {
  // The checkpoint is the commit point; the branch is derived from it.
  TRY_VOID(repo_.update_ref(refs_.checkpoint, commit, checkpoint_,
                            "smartspec: checkpoint of run " + in_.run_id));
  crash_.step();
  auto branch = repo_.read_ref(refs_.branch);
  TRY_VOID(repo_.update_ref(refs_.branch, commit, branch, "smartspec: unit of run " + in_.run_id));
  crash_.step();
  checkpoint_ = commit;
  return {};
}

Result<void> Runner::save_failed(const plan::PlannedUnit& unit, const std::string& tree,
                                 const std::string& reason) {
  std::string ref = refs_.failed_prefix + std::string(unit_name(unit.unit));
  std::string with_logs = tree;
  // Agent logs are kept with the partial work, for inspection.
  std::vector<git::Repository::Change> logs;
  std::error_code ec;
  if (!log_dir_.empty() && fs::is_directory(log_dir_, ec)) {
    for (const auto& e : fs::directory_iterator(log_dir_, ec)) {
      if (!e.is_regular_file()) continue;
      auto bytes = text::read_file(e.path().string(), 16u << 20);
      if (bytes) logs.push_back({".smartspec-logs/" + e.path().filename().string(), *bytes, 0100644});
    }
  }
  if (!logs.empty()) {
    TRY(auto t, repo_.update_tree(tree, logs));
    with_logs = t;
  }
  std::string msg = "smartspec(" + std::string(unit_name(unit.unit)) +
                    "): rolled back\n\n" + reason + "\n\nSmartspec-Run: " + in_.run_id +
                    "\nSmartspec-Unit: " + std::string(unit_name(unit.unit)) + "\n";
  TRY(auto commit, repo_.create_commit(with_logs, {checkpoint_}, msg));
  auto old = repo_.read_ref(ref);
  TRY_VOID(repo_.update_ref(ref, commit, old, "smartspec: failed unit of run " + in_.run_id));
  crash_.step();
  return {};
}

void Runner::write_checkpoint_mirror(const std::string& current_unit,
                                     const std::string& current_task) {
  if (!opts_.checkpoint) return;
  report::CheckpointMirror m;
  m.timestamp = clock_.iso8601();
  m.prompts_dir = opts_.prompts_dir;
  m.completed_categories = state_.completed;
  m.current_category = current_unit;
  m.current_task = current_task;
  m.total_tasks = task_total_;
  m.failures = failures_;
  m.commit = checkpoint_;
  m.ref = refs_.checkpoint;
  // Never through a symlink: a committed `.spec` may point out of the repository.
  auto r = text::write_file_beneath(repo_.workdir(),
                                    ".spec/checkpoints/batch_execution_" + in_.run_id + ".json",
                                    report::render_checkpoint(m));
  if (!r) spdlog::warn("checkpoint mirror not written: {}", r.error().to_string());
}

std::vector<std::string> Runner::unit_paths(const plan::PlannedUnit& unit) const {
  std::vector<std::string> paths;
  for (const auto& t : unit.tasks)
    for (const auto& f : t.files) {
      if (!f.refused.empty()) continue;  // its task fails without writing
      paths.push_back(f.path);
      if (!f.from.empty()) paths.push_back(f.from);
    }
  if (tasks_tracked_) paths.push_back(in_.tasks_rel);
  // Paths a pack names that cannot be materialized (escapes, .git ...) are
  // refused by the executor per task, with the same check; leave them out here.
  std::vector<std::string> safe;
  for (const auto& p : paths) {
    if (auto c = exec::confine(scratch_->path(), p)) safe.push_back(c->rel);
  }
  std::sort(safe.begin(), safe.end());
  safe.erase(std::unique(safe.begin(), safe.end()), safe.end());
  return safe;
}

report::TaskReport Runner::begin_task(const plan::PlannedTask& t, const std::string& uname,
                                      std::string& fail_reason, bool* skip) {
  ++task_n_;
  report::TaskReport tr;
  tr.id = t.id;
  tr.title = t.title;
  tr.number = task_n_;
  *skip = true;
  console_.progress(uname, task_n_, task_total_, clock_.seconds() - started_at_, -1);
  if (fail_reason.empty() && interrupted()) fail_reason = "interrupted";
  if (!fail_reason.empty()) {
    tr.status = report::TaskStatus::kNotRun;
    return tr;
  }
  if (already_done_.count(t.id)) {
    tr.status = report::TaskStatus::kAlreadyDone;
    tr.has_evidence = true;
    tr.notes.push_back("already verified on the base");
    return tr;
  }
  write_checkpoint_mirror(uname, t.id);
  *skip = false;
  return tr;
}

void Runner::count_failure(std::string& fail_reason) {
  ++failures_;
  if (failures_ >= opts_.max_failures && fail_reason.empty()) {
    fail_reason = "failure budget exhausted (" + std::to_string(failures_) + " of --max-failures " +
                  std::to_string(opts_.max_failures) + ")";
  }
}

Result<std::string> Runner::apply_tasks(const plan::PlannedUnit& unit, report::UnitReport& ur,
                                        std::string& fail_reason) {
  const std::string uname(unit_name(unit.unit));
  exec::ApplyOptions aopts;
  aopts.root = scratch_->path();
  aopts.overwrite = opts_.overwrite;
  aopts.apply_skeletons = opts_.apply_skeletons;
  aopts.extra_checks = opts_.checks;
  aopts.line_ending = [this](const std::string& rel) { return line_ending(rel); };
  aopts.syntax = syntax_.get();

  std::set<std::string> touched;
  for (const auto& t : unit.tasks) {
    bool skip = false;
    report::TaskReport tr = begin_task(t, uname, fail_reason, &skip);
    if (skip) {
      ur.tasks.push_back(std::move(tr));
      continue;
    }
    double t0 = clock_.seconds();
    const PackTask& pt = in_.pack.tasks[t.pack_index];
    exec::FileTxn txn(scratch_->path());
    exec::TaskOutcome out;
    if (t.category == Unit::kNamingIssue && !naming_by_evidence(t, pt, txn, out)) {
      out = exec::apply_task(t, pt, aopts, txn);
      if (out.status == exec::TaskStatus::kSucceeded) check_references(out, txn);
    } else if (t.category != Unit::kNamingIssue) {
      out = exec::apply_task(t, pt, aopts, txn);
    }
    crash_.step();
    tr.status = to_report(out.status);
    tr.error = out.error;
    tr.file = out.file;
    tr.line = out.line;
    tr.suggested_fix = out.suggested_fix;
    tr.files_created = out.files_created;
    tr.files_modified = out.files_modified;
    tr.files_renamed = out.files_renamed;
    tr.notes = out.notes;
    for (const auto& sk : out.skeletons) tr.notes.push_back("skeleton: " + sk);
    if (out.status == exec::TaskStatus::kSkippedNeedsAgent && tr.error.empty())
      tr.error = "needs an agent (--agent)";
    bool ok = out.status == exec::TaskStatus::kSucceeded ||
              out.status == exec::TaskStatus::kAlreadyPresent;
    if (ok) add_evidence_hooks(t, pt, txn);
    if (ok) {
      for (const auto& tch : txn.touched()) touched.insert(tch.path);
      txn.commit();
    } else {
      (void)txn.rollback();
      if (out.status == exec::TaskStatus::kFailed || out.status == exec::TaskStatus::kRefused)
        count_failure(fail_reason);
    }
    tr.duration_ms = static_cast<long>((clock_.seconds() - t0) * 1000);
    ur.tasks.push_back(std::move(tr));
  }
  std::vector<std::string> changed(touched.begin(), touched.end());
  TRY(auto changes, collect_changes(changed));
  TRY(auto base_tree, repo_.tree_of(checkpoint_));
  return repo_.update_tree(base_tree, changes);
}

void Runner::add_evidence_hooks(const plan::PlannedTask& t, const PackTask& pt, exec::FileTxn& txn) {
  if (!opts_.evidence_hooks || !tasks_tracked_) return;
  // Cheap filter first (parsing tasks.md per task is the expensive part): a
  // task the given tasks.md already gives evidence needs no hooks.
  const TaskLine* given = in_.tasks.find(t.id);
  if (given == nullptr || given->evidence_lines != 0) return;
  // The worktree's tasks.md is the truth (earlier tasks may have edited it).
  auto current = txn.read(in_.tasks_rel);
  if (!current || !*current) return;
  auto doc = tasks::parse(**current, in_.tasks_rel);
  const TaskLine* wt = doc ? doc->find(t.id) : nullptr;
  if (wt == nullptr || wt->evidence_lines != 0) return;
  std::string code, test;
  for (const auto& f : t.files) {
    bool produced = f.action != plan::Action::kNone;
    if (f.role == FileRole::kCode && code.empty() && produced) code = f.path;
    if (f.role == FileRole::kTest && test.empty() && produced) test = f.path;
  }
  auto entries = exec::canonical_evidence(code, pt.symbol, test);
  if (entries.empty()) return;
  auto updated = exec::ensure_evidence(**current, t.id, entries, in_.tasks_rel);
  if (updated && *updated != **current) {
    auto w = txn.write_file(in_.tasks_rel, *updated);
    if (!w) spdlog::warn("evidence hooks not added: {}", w.error().to_string());
  }
}

Result<std::string> Runner::agent_tasks(const plan::PlannedUnit& unit, report::UnitReport& ur,
                                        std::string& fail_reason) {
  const std::string uname(unit_name(unit.unit));
  TRY(std::string snapshot, repo_.tree_of(checkpoint_));
  AgentContext ctx{opts_, in_, repo_, *scratch_, uname, snapshot, log_dir_, tasks_tracked_};
  ctx.syntax = syntax_.get();
  ctx.program = self_program();
  ctx.processes = &procs_;
  std::vector<std::string> output_tail;  // of the last failed call
  auto run_batch = [&](const std::vector<const plan::PlannedTask*>& batch,
                       std::vector<report::TaskReport>& reports) -> Result<void> {
    ctx.snapshot_tree = snapshot;
    std::string shown = batch.size() == 1 ? batch.front()->id : uname;
    ctx.on_tick = [this, uname, shown](double elapsed, const std::string& last) {
      console_.agent_running(uname, task_n_, task_total_, shown, elapsed, last);
    };
    double t0 = clock_.seconds();
    TRY(AgentResult res, run_agent(ctx, batch));
    crash_.step();
    output_tail = res.output_tail;
    if (res.ok) snapshot = res.new_tree;
    for (std::size_t k = 0; k < batch.size(); ++k) {
      report::TaskReport tr = k < res.tasks.size() ? res.tasks[k] : report::TaskReport{};
      tr.id = batch[k]->id;
      tr.title = batch[k]->title;
      if (!res.ok && tr.status == report::TaskStatus::kSucceeded) tr.status = report::TaskStatus::kFailed;
      if (tr.duration_ms == 0) tr.duration_ms = static_cast<long>((clock_.seconds() - t0) * 1000);
      reports.push_back(std::move(tr));
    }
    return {};
  };
  if (opts_.agent_per == "unit") {
    std::vector<const plan::PlannedTask*> batch;
    std::vector<report::TaskReport> pre;
    for (const auto& t : unit.tasks) {
      bool skip = false;
      report::TaskReport tr = begin_task(t, uname, fail_reason, &skip);
      if (skip) ur.tasks.push_back(std::move(tr));
      else batch.push_back(&t);
    }
    if (!batch.empty()) {
      std::vector<report::TaskReport> reports;
      TRY_VOID(run_batch(batch, reports));
      int n = task_n_ - static_cast<int>(reports.size());
      for (auto& tr : reports) {
        if (tr.status == report::TaskStatus::kFailed && !interrupted()) count_failure(fail_reason);
        tr.number = ++n;
        ur.tasks.push_back(std::move(tr));
      }
      if (!ur.tasks.empty() && ur.tasks.back().status == report::TaskStatus::kFailed) {
        agent_tails_[ur.tasks.back().id] = output_tail;
      }
    }
  } else {
    for (const auto& t : unit.tasks) {
      bool skip = false;
      report::TaskReport tr = begin_task(t, uname, fail_reason, &skip);
      if (skip) {
        ur.tasks.push_back(std::move(tr));
        continue;
      }
      std::vector<report::TaskReport> reports;
      TRY_VOID(run_batch({&t}, reports));
      for (auto& r : reports) {
        if (r.status == report::TaskStatus::kFailed && !interrupted()) count_failure(fail_reason);
        if (r.status == report::TaskStatus::kFailed) agent_tails_[r.id] = output_tail;
        r.number = task_n_;
        ur.tasks.push_back(std::move(r));
      }
    }
  }
  return snapshot;
}

// The user's pre-commit and commit-msg hooks (libgit2 never runs hooks), run
// in the scratch worktree whose index holds the unit's tree, as `git commit`
// would run them. A hook that rewrites files has its changes taken into the
// unit's tree; one that edits the message has its message used. Returns the
// reason the unit fails, or "".
Result<std::string> Runner::run_commit_hooks(std::string& tree, std::string& message) {
  const std::string dir = git::hooks_dir(repo_);
  auto runnable = [](const std::string& path) { return ::access(path.c_str(), X_OK) == 0; };
  auto tail = [](const std::string& out) {
    auto lines = text::split_lines(text::trim(out));
    return lines.empty() ? std::string() : ": " + std::string(lines.back().text);
  };
  const std::string pre_commit = dir + "/pre-commit";
  if (runnable(pre_commit)) {
    TRY_VOID(git::set_worktree_index(repo_, scratch_->path(), tree));
    exec::ProcSpec spec;
    spec.argv = {pre_commit};
    spec.cwd = scratch_->path();
    spec.timeout_seconds = opts_.agent_timeout;
    UserStateCheck user_state(repo_, *scratch_);
    TRY_VOID(user_state.before());
    TRY(auto res, procs_.run(spec));
    TRY(const std::string escaped, user_state.after("pre-commit hook"));
    if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
    if (res.interrupted) return std::string("interrupted");
    if (!res.ok()) {
      return "pre-commit hook failed (exit " + std::to_string(res.exit_code) + ")" +
             tail(res.output);
    }
    // What the hook changed in the worktree becomes part of the unit.
    TRY(auto changes, git::worktree_changes(repo_, scratch_->path(), tree));
    if (!changes.empty()) {
      std::vector<std::string> paths;
      for (const auto& c : changes) paths.push_back(c.path);
      TRY(auto collected, collect_changes(paths));
      TRY(tree, repo_.update_tree(tree, collected));
    }
  }
  const std::string commit_msg = dir + "/commit-msg";
  if (runnable(commit_msg)) {
    std::string file = repo_.common_dir() + "/smartspec/COMMIT_EDITMSG-" + in_.run_id;
    TRY_VOID(text::write_file_atomic(file, message));
    exec::ProcSpec spec;
    spec.argv = {commit_msg, file};
    spec.cwd = scratch_->path();
    spec.timeout_seconds = opts_.agent_timeout;
    UserStateCheck user_state(repo_, *scratch_);
    TRY_VOID(user_state.before());
    TRY(auto res, procs_.run(spec));
    TRY(const std::string escaped, user_state.after("commit-msg hook"));
    if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
    auto edited = text::read_file(file);
    ::unlink(file.c_str());
    if (res.interrupted) return std::string("interrupted");
    if (!res.ok()) {
      return "commit-msg hook failed (exit " + std::to_string(res.exit_code) + ")" +
             tail(res.output);
    }
    if (edited && !text::trim(*edited).empty()) message = *edited;
  }
  return std::string();
}

Result<bool> Runner::run_unit(const plan::PlannedUnit& unit, report::UnitReport& ur) {
  const std::string uname(unit_name(unit.unit));
  const bool agent = !opts_.agent.empty();
  // Apply mode materializes only the paths the unit reads or writes (lazy
  // worktree); a process (agent) needs the whole tree, kept across runs.
  if (agent || opts_.run_hooks || scratch_->is_full()) {
    TRY_VOID(scratch_->checkout_full(checkpoint_));
    (void)scratch_->lock("smartspec-batch: reusable full checkout (remove with smartspec-batch clean)");
    if (!checkout_checked_) {
      // Once per invocation, and again after --verify-cmd ran: what a killed
      // agent or a process left in the checkout must not become part of the
      // next unit (the checkout's marker only knows what the tool wrote).
      TRY(auto tree, repo_.tree_of(checkpoint_));
      TRY(auto n, reset_checkout(repo_, *scratch_, tree, false));
      if (n > 0 && !verify_cmd_ran_) {
        spdlog::warn(
            "scratch worktree: {} path(s) put back to the checkpoint (left by an "
            "interrupted run?)",
            n);
      }
      checkout_checked_ = true;
      verify_cmd_ran_ = false;
    }
  } else {
    TRY_VOID(scratch_->materialize(checkpoint_, unit_paths(unit)));
  }
  spdlog::debug("unit {}: worktree ready", uname);
  crash_.step();

  std::string fail_reason;
  std::string tree;
  if (agent) {
    TRY(tree, agent_tasks(unit, ur, fail_reason));
  } else {
    TRY(tree, apply_tasks(unit, ur, fail_reason));
  }
  if (fail_reason.empty() && interrupted()) fail_reason = "interrupted";
  spdlog::debug("unit {}: tasks done", uname);
  TRY(auto base_tree, repo_.tree_of(checkpoint_));

  // The commit names the tasks whose changes it holds (a task that changed
  // nothing is not in it, whatever its evidence says).
  auto succeeded = [&ur]() {
    std::vector<const report::TaskReport*> done;
    for (const auto& tr : ur.tasks)
      if (tr.status == report::TaskStatus::kSucceeded && changed_files(tr)) done.push_back(&tr);
    return done;
  };
  std::string commit;
  std::string message = commit_message(unit, succeeded());
  if (fail_reason.empty() && tree != base_tree && opts_.run_hooks) {
    TRY(fail_reason, run_commit_hooks(tree, message));
  }
  if (fail_reason.empty() && tree != base_tree) {
    TRY(commit, repo_.create_commit(tree, {checkpoint_}, message));
    crash_.step();
  }

  // Every executed task is classified against the evidence on the unit's
  // tree (also when the unit commits nothing): the one status model.
  if (fail_reason.empty()) {
    verify::Summary s;
    verify_tree(commit.empty() ? checkpoint_ : commit, &s);
    std::vector<std::string> unverified, verified;
    classify_unit(ur, s, &verified, &unverified);
    if (opts_.verify_after_each && !unverified.empty()) {
      fail_reason = "not verified after the unit: " + join(unverified, ", ");
      for (auto& tr : ur.tasks)
        if (std::find(unverified.begin(), unverified.end(), tr.id) != unverified.end()) {
          tr.status = report::TaskStatus::kFailed;
          tr.error = "not verified after the unit" + (tr.error.empty() ? "" : " (" + tr.error + ")");
        }
    } else if (opts_.mark_done && tasks_tracked_ && !verified.empty()) {
      if (auto text_now = repo_.read_file(tree, in_.tasks_rel)) {
        std::string t = *text_now;
        for (const auto& id : verified) {
          if (auto m = exec::mark_done(t, id, in_.tasks_rel)) t = *m;
        }
        if (t != *text_now) {
          // Keep the worktree equal to the unit's tree.
          TRY_VOID(text::write_file_atomic(scratch_->path() + "/" + in_.tasks_rel, t));
          TRY(tree, repo_.update_tree(tree, {{in_.tasks_rel, t, 0100644}}));
          TRY(commit, repo_.create_commit(tree, {checkpoint_}, message));
        }
      }
    }
  }

  // --verify-cmd runs on the whole tree.
  if (fail_reason.empty() && !opts_.verify_cmd.empty()) {
    std::string target = commit.empty() ? checkpoint_ : commit;
    if (!agent) {
      TRY_VOID(scratch_->checkout_full(target));
      (void)scratch_->lock("smartspec-batch: reusable full checkout (remove with smartspec-batch clean)");
    }
    TRY(auto argv, exec::split_command_line(opts_.verify_cmd));
    exec::ProcSpec spec;
    spec.argv = argv;
    spec.cwd = scratch_->path();
    spec.timeout_seconds = opts_.agent_timeout;
    UserStateCheck user_state(repo_, *scratch_);
    TRY_VOID(user_state.before());
    auto res = procs_.run(spec);
    // Named, not refused: the user may commit while a run goes on.
    TRY(const std::string escaped, user_state.after("--verify-cmd"));
    if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
    checkout_checked_ = false;  // what it wrote is put back before the next unit
    verify_cmd_ran_ = true;
    if (!res) {
      fail_reason = "--verify-cmd: " + res.error().message;
    } else if (res->interrupted) {
      fail_reason = "interrupted";
    } else {
      std::string out = res->output;
      if (out.size() > 4000) out = "…" + out.substr(out.size() - 4000);
      ur.verify_cmd_output = out;
      if (!res->ok()) {
        fail_reason = res->timed_out ? "--verify-cmd timed out"
                                     : "--verify-cmd exited with " + std::to_string(res->exit_code);
      }
    }
  }
  if (fail_reason.empty() && interrupted()) fail_reason = "interrupted";

  if (!fail_reason.empty()) {
    // Nothing of the unit lands: what its tasks did is not a result.
    for (auto& tr : ur.tasks) {
      switch (tr.status) {
        case report::TaskStatus::kSucceeded:
        case report::TaskStatus::kVerified:
        case report::TaskStatus::kAppliedUnverified:
        case report::TaskStatus::kNoChange:
          tr.status = report::TaskStatus::kFailed;
          tr.error = "rolled back with its unit: " + fail_reason;
          break;
        default:
          break;
      }
    }
    ur.status = report::UnitStatus::kRolledBack;
    ur.reason = fail_reason;
    ur.failed_ref = refs_.failed_prefix + uname;
    auto saved = save_failed(unit, tree, fail_reason);
    if (!saved) spdlog::warn("partial work not saved: {}", saved.error().to_string());
    // Put the worktree back at the checkpoint for every path the unit changed.
    if (auto diff = repo_.changed_paths(base_tree, tree); diff && !diff->empty()) {
      if (auto r = scratch_->materialize(checkpoint_, *diff); !r)
        spdlog::warn("scratch worktree not restored: {}", r.error().to_string());
    }
    print_tasks(ur);
    console_.unit_done(ur);
    return false;
  }
  if (commit.empty()) {
    ur.status = report::UnitStatus::kNothingToCommit;
  } else {
    TRY_VOID(publish(commit));
    spdlog::debug("unit {}: committed", uname);
    ur.status = report::UnitStatus::kCommitted;
    ur.commit = commit;
  }
  state_.completed.push_back(uname);
  for (const auto& tr : ur.tasks) state_.results.emplace_back(uname, tr);
  state_.failures = failures_;
  state_.updated = clock_.iso8601();
  TRY_VOID(write_state(repo_, refs_.state, state_, "", "unit " + uname + " done"));
  spdlog::debug("unit {}: run state written", uname);
  crash_.step();
  write_checkpoint_mirror("", "");
  print_tasks(ur);
  console_.unit_done(ur);
  return true;
}

// naming_issue, the pack's option A (what the real template recommends):
// the similar file is the implementation, so the task's evidence path in
// tasks.md is updated to it. Used unless --rename-files, or when the pack
// offers only a rename. False = not handled here (rename instead).
bool Runner::naming_by_evidence(const plan::PlannedTask& t, const PackTask& pt,
                                exec::FileTxn& txn, exec::TaskOutcome& out) {
  if (opts_.rename_files) return false;
  if (text::to_lower(pt.raw).find("update evidence") == std::string::npos) return false;
  std::vector<std::pair<std::string, std::string>> moves;  // expected → existing
  for (const auto& f : t.files)
    if (f.action == plan::Action::kRename) moves.emplace_back(f.path, f.from);
  if (moves.empty()) return false;  // nothing to choose: the executor says why
  auto fail_out = [&](std::string why) {
    out = exec::TaskOutcome{};
    out.status = exec::TaskStatus::kFailed;
    out.error = std::move(why);
    out.file = in_.tasks_rel.empty() ? in_.tasks.path : in_.tasks_rel;
    out.suggested_fix = "update the evidence path by hand, or rerun with --rename-files";
    return true;
  };
  if (!tasks_tracked_) return fail_out("tasks.md is not in the repository: its evidence path cannot be updated");
  auto current = txn.read(in_.tasks_rel);
  if (!current || !*current) return fail_out(in_.tasks_rel + ": cannot read");
  auto doc = tasks::parse(**current, in_.tasks_rel);
  const TaskLine* line = doc ? doc->find(t.id) : nullptr;
  if (line == nullptr) return fail_out(t.id + " is not in " + in_.tasks_rel);
  auto lines = text::split_lines(**current);
  std::string updated;
  std::size_t at = 0;
  bool changed = false;
  for (const auto& l : lines) {
    std::string s(l.text);
    if (l.number >= line->line && l.number <= line->last_line) {
      for (const auto& [expected, existing] : moves) {
        for (const std::string& form : {"path=" + expected, "path=\"" + expected + "\""}) {
          auto p = s.find(form);
          if (p == std::string::npos) continue;
          bool quoted = form.back() == '"';
          s.replace(p, form.size(), quoted ? "path=\"" + existing + "\"" : "path=" + existing);
          changed = true;
        }
      }
    }
    updated += s;
    at += l.text.size();
    // Keep each line's own terminator.
    std::string_view rest = std::string_view(**current).substr(at);
    std::size_t term = rest.rfind("\r\n", 0) == 0 ? 2 : (rest.rfind("\n", 0) == 0 ? 1 : 0);
    updated += rest.substr(0, term);
    at += term;
  }
  if (!changed) return fail_out("no evidence path of " + t.id + " names " + moves.front().first);
  if (auto w = txn.write_file(in_.tasks_rel, updated); !w) return fail_out(w.error().to_string());
  out = exec::TaskOutcome{};
  out.status = exec::TaskStatus::kSucceeded;
  out.files_modified.push_back(in_.tasks_rel);
  for (const auto& [expected, existing] : moves)
    out.notes.push_back("evidence path " + expected + " -> " + existing + " in " + in_.tasks_rel +
                        " (the pack's option A; --rename-files renames the file instead)");
  return true;
}

// After a rename: files of the checkpoint that still name the old module or
// file (git grep, whole words) would break; the task fails listing them.
void Runner::check_references(exec::TaskOutcome& out, exec::FileTxn& txn) {
  std::vector<std::string> users;
  for (const auto& [from, to] : out.files_renamed) {
    std::string stem = fs::path(from).stem().string();
    if (stem.empty()) continue;
    exec::ProcSpec spec;
    spec.argv = {"git", "-C", repo_.workdir(), "grep", "-l", "-w", "-F", "-e", stem, checkpoint_, "--"};
    spec.timeout_seconds = 60;
    auto res = procs_.run(spec);
    if (!res || res->exit_code > 1) continue;  // no git, or an error: nothing known
    for (const auto& l : text::split_lines(res->output)) {
      std::string path(l.text);
      if (path.rfind(checkpoint_ + ":", 0) == 0) path = path.substr(checkpoint_.size() + 1);
      if (path.empty() || path == from || path == to || path == in_.tasks_rel ||
          path.rfind(".spec/", 0) == 0)
        continue;
      if (std::find(users.begin(), users.end(), path) == users.end()) users.push_back(path);
    }
  }
  if (users.empty()) return;
  (void)txn.rollback();
  std::string list = join(users, ", ");
  out.status = exec::TaskStatus::kFailed;
  out.error = "renaming would break " + std::to_string(users.size()) +
              (users.size() == 1 ? " file that references the old name: " : " files that reference the old name: ") + list;
  out.file = users.front();
  out.suggested_fix = "update those references (or leave out --rename-files to update the evidence path instead)";
  out.files_renamed.clear();
}

// The one status model (issue 19): an executed task is verified when its
// evidence verifies on the unit's tree; otherwise applied_unverified when it
// changed files, no_change when it did not. A task without evidence keeps
// applied_unverified (has_evidence false), which counts as done.
void Runner::classify_unit(report::UnitReport& ur, const verify::Summary& s,
                           std::vector<std::string>* verified,
                           std::vector<std::string>* unverified) {
  for (auto& tr : ur.tasks) {
    const verify::TaskResult* res = s.find(tr.id);
    tr.has_evidence = res != nullptr && !res->checks.empty();
    if (tr.status != report::TaskStatus::kSucceeded) continue;
    const bool changed = changed_files(tr);
    if (tr.has_evidence && res->verified) {
      tr.status = report::TaskStatus::kVerified;
      if (!changed) tr.notes.push_back("no file changed; the evidence verifies");
      verified->push_back(tr.id);
      continue;
    }
    tr.status = changed ? report::TaskStatus::kAppliedUnverified : report::TaskStatus::kNoChange;
    if (tr.has_evidence) {
      unverified->push_back(tr.id);
      for (const auto& c : res->checks) {
        if (c.ok) continue;
        tr.error = "evidence not verified: " + c.path + ": " + c.reason;
        break;
      }
      if (!changed) tr.error = "nothing changed; " + tr.error;
    } else if (!changed) {
      tr.error = "nothing changed (no evidence to verify)";
    }
  }
}

void Runner::print_tasks(const report::UnitReport& ur) {
  for (const auto& tr : ur.tasks) {
    if (tr.number <= 0 || tr.status == report::TaskStatus::kNotRun) continue;
    console_.task_done(tr.number, task_total_, tr);
    // A failed agent call: the end of its output and its log, under its line.
    auto tail = agent_tails_.find(tr.id);
    if (tail == agent_tails_.end()) continue;
    if (tr.status == report::TaskStatus::kFailed) console_.agent_output(tail->second, tr.log);
    agent_tails_.erase(tail);
  }
}

Result<void> Runner::write_reports(std::string& json) {
  std::string stamp = clock_.stamp();
  // Two runs in the same second must not overwrite each other's report
  // (runs are serialised by the repository lock, so a free name stays free).
  fs::path dir = fs::path(repo_.workdir()) / ".spec" / "reports";
  std::error_code ec;
  std::string name = "batch_execution_" + stamp;
  for (int n = 2; fs::exists(dir / (name + ".md"), ec) || fs::exists(dir / (name + ".json"), ec); ++n)
    name = "batch_execution_" + stamp + "_" + std::to_string(n);
  report_.report_md_path = ".spec/reports/" + name + ".md";
  report_.report_json_path = ".spec/reports/" + name + ".json";
  std::string md = report::render_markdown(report_);
  // Never through a symlink: a committed `.spec` may point out of the
  // repository. Then no file is written, and the note still is.
  auto written = text::write_file_beneath(repo_.workdir(), report_.report_md_path, md);
  if (!written) {
    spdlog::warn("report files not written: {}", written.error().to_string());
    report_.report_md_path.clear();
    report_.report_json_path.clear();
    md = report::render_markdown(report_);
  }
  json = report::render_json(report_);
  if (written) {
    TRY_VOID(text::write_file_beneath(repo_.workdir(), report_.report_json_path, json));
  }
  // The note on the branch tip: replaced on resume.
  TRY_VOID(repo_.set_note(kNotesRef, report_.tip, md));
  crash_.step();
  return {};
}

int Runner::finish(int exit_code) {
  console_.clear_progress();
  report_.completed = clock_.iso8601();
  report_.duration_seconds = clock_.seconds() - started_at_;
  report_.exit_code = exit_code;
  report_.tip = repo_.read_ref(refs_.branch).value_or(in_.base);
  if (opts_.verify_at_end && exit_code != 3) {
    report_.after = verify_tree(report_.tip);
  }
  std::string json;
  spdlog::debug("finishing");
  if (auto r = write_reports(json); !r) spdlog::warn("report not fully written: {}", r.error().to_string());
  state_.status = exit_code == 3 ? "stopped" : "finished";
  state_.exit_code = exit_code;
  state_.failures = failures_;
  state_.report_json = json.empty() ? report::render_json(report_) : json;
  state_.updated = clock_.iso8601();
  spdlog::debug("reports and note written");
  if (auto r = write_state(repo_, refs_.state, state_, "", state_.status); !r)
    spdlog::warn("run state not updated: {}", r.error().to_string());
  spdlog::debug("run state written");
  // The scratch worktree stays for the next run, which rewrites the paths it
  // needs in place: removing it would cost this run a deletion per file and
  // the next one a new inode per file (and on ext4 deleted inodes slow the
  // allocation of new ones for minutes). `clean` removes it.
  if (scratch_ && !scratch_->is_full())
    (void)scratch_->lock(
        "smartspec-batch: scratch worktree kept for reuse (remove with smartspec-batch clean)");
  if (opts_.common.json) std::fputs(state_.report_json.c_str(), stdout);
  console_.summary(report_);
  if (opts_.land && exit_code != 3) {
    // Under the run's lock: nothing can move the refs between run and land.
    if (auto landed = land_run(repo_, in_.run_id); !landed) {
      std::fprintf(stderr, "smartspec-batch: error: --land: %s\n",
                   landed.error().to_string().c_str());
      return 2;
    }
    console_.note("landed: the current branch now points at smartspec/" + in_.run_id);
  }
  return exit_code;
}

int Runner::run() {
  started_at_ = clock_.seconds();
  report_.run_id = in_.run_id;
  report_.branch = "smartspec/" + in_.run_id;
  report_.pack_digest = in_.digest;
  report_.prompts_dir = opts_.prompts_dir;
  report_.tasks_path = opts_.tasks;
  report_.started = clock_.iso8601();
  report_.mode = opts_.agent.empty() ? "apply" : "agent";
  report_.command = command_line(opts_, in_.run_id);
  for (const auto& w : in_.plan.warnings)
    report_.warnings.push_back((w.file.empty() ? "" : w.file + (w.line ? ":" + std::to_string(w.line) : "") + ": ") + w.message);
  plan_json_ = plan::render_json(in_.plan, in_.pack);
  task_total_ = static_cast<int>(in_.plan.task_count());

  // Exit 2 promises that nothing changed: once this invocation has moved the
  // run's state ref, a failure is a stop (3), resumable.
  const auto state_before = repo_.read_ref(refs_.state);
  auto stop_code = [&](int code) {
    return code == 2 && repo_.read_ref(refs_.state) != state_before ? 3 : code;
  };
  auto started = start_or_resume();
  if (!started) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", started.error().to_string().c_str());
    return stop_code(static_cast<int>(started.error().exit));
  }
  if (*started >= 0) return *started;
  spdlog::debug("run state written");
  report_.base = state_.base;
  tasks_tracked_ = !in_.tasks_rel.empty() &&
                   repo_.entry(checkpoint_, in_.tasks_rel).kind != git::Repository::Kind::kMissing;

  auto sc = git::Scratch::open(repo_, "main");
  if (!sc) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", sc.error().to_string().c_str());
    return stop_code(2);
  }
  scratch_.emplace(std::move(*sc));
  spdlog::debug("scratch worktree opened");
  crash_.step();
  if (!opts_.agent.empty()) {
    log_dir_ = repo_.common_dir() + "/smartspec/logs/" + in_.run_id;
    std::error_code ec;
    fs::create_directories(log_dir_, ec);
  }

  {
    // One checker process for the whole run (the worktree path never changes),
    // started now when the plan names Python files, so that it is ready by the
    // first task.
    syntax_ = std::make_unique<exec::SyntaxSession>(scratch_->path(), opts_.checks);
    std::vector<std::string> outputs;
    for (const auto& u : in_.plan.units)
      for (const auto& t : u.tasks)
        for (const auto& f : t.files) outputs.push_back(f.path);
    syntax_->warm_up(outputs);
  }

  verify_before();

  auto done = committed_units(repo_, state_.base, checkpoint_);
  std::set<std::string> committed;
  std::map<std::string, std::string> commit_of;
  if (done)
    for (const auto& [u, c] : *done) {
      committed.insert(u);
      commit_of[u] = c;
    }
  for (const auto& u : state_.completed) committed.insert(u);
  spdlog::debug("earlier commits of the run read");

  int exit_code = 0;
  bool stopped = false;
  for (const auto& unit : in_.plan.units) {
    report::UnitReport ur;
    ur.unit = unit.unit;
    ur.priority = unit.priority;
    std::string uname(unit_name(unit.unit));
    if (stopped) {
      for (const auto& t : unit.tasks) {
        ++task_n_;
        report::TaskReport tr;
        tr.id = t.id;
        tr.title = t.title;
        tr.status = report::TaskStatus::kNotRun;
        ur.tasks.push_back(std::move(tr));
      }
      report_.units.push_back(std::move(ur));
      continue;
    }
    if (committed.count(uname)) {
      ur.status = report::UnitStatus::kDoneEarlier;
      ur.commit = commit_of.count(uname) ? commit_of[uname] : "";
      // The results the earlier invocation recorded; a unit committed by an
      // invocation killed before it recorded them is classified again by
      // its evidence on its commit.
      std::optional<verify::Summary> again;
      for (const auto& t : unit.tasks) {
        ++task_n_;
        report::TaskReport tr;
        auto it = std::find_if(state_.results.begin(), state_.results.end(),
                               [&](const auto& r) { return r.first == uname && r.second.id == t.id; });
        if (it != state_.results.end()) {
          tr = it->second;
        } else {
          tr.id = t.id;
          tr.title = t.title;
          if (!again) {
            again.emplace();
            verify_tree(ur.commit.empty() ? checkpoint_ : ur.commit, &*again);
          }
          const verify::TaskResult* res = again->find(t.id);
          tr.has_evidence = res != nullptr && !res->checks.empty();
          tr.status = tr.has_evidence && res->verified ? report::TaskStatus::kVerified
                                                       : report::TaskStatus::kAppliedUnverified;
          tr.notes.push_back("result of the earlier invocation not recorded; classified by its evidence");
        }
        tr.number = task_n_;
        tr.notes.push_back("done in an earlier invocation");
        ur.tasks.push_back(tr);
      }
      print_tasks(ur);
      console_.unit_done(ur);
      report_.units.push_back(std::move(ur));
      continue;
    }
    auto ok = run_unit(unit, ur);
    if (!ok) {
      console_.clear_progress();
      std::fprintf(stderr, "smartspec-batch: error: %s\n", ok.error().to_string().c_str());
      ur.status = report::UnitStatus::kRolledBack;
      ur.reason = ok.error().to_string();
      stopped = true;
      state_.stopped_at = uname;
      state_.reason = ur.reason;
      report_.stopped_reason = "unit " + uname + ": " + ur.reason;
    } else if (!*ok) {
      stopped = true;
      state_.stopped_at = uname;
      state_.reason = ur.reason;
      report_.stopped_reason = "unit " + uname + ": " + ur.reason;
    }
    report_.units.push_back(std::move(ur));
  }
  if (stopped) {
    exit_code = 3;
  } else {
    state_.stopped_at.clear();
    state_.reason.clear();
    // Exit 0 only when every planned task is done: verified, or (without
    // evidence) changed and checked.
    for (const auto& u : report_.units)
      for (const auto& t : u.tasks)
        if (!report::task_done(t)) exit_code = 1;
  }
  return finish(exit_code);
}

}  // namespace

int run_command(const RunOptions& opts, const Ports& ports) {
  install_signal_handlers();
  std::FILE* out = opts.common.json ? stderr : stdout;
  bool terminal = ::isatty(::fileno(out)) != 0;
  report::Console console(out, terminal, report::Console::colour_from_env(terminal),
                          opts.common.verbosity < 0);

  auto in = load_inputs(opts);
  if (!in) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", in.error().to_string().c_str());
    return static_cast<int>(in.error().exit);
  }
  // --resume continues the run as it started: its recorded options, unless
  // the command line changes one with --force.
  RunOptions merged = opts;
  if (opts.resume) {
    auto st = read_state(in->repo, RunRefs(in->run_id).state);
    if (st && *st && (*st)->has_options) {
      auto m = merge_resume_options(opts, (*st)->options, in->run_id);
      if (!m) {
        std::fprintf(stderr, "smartspec-batch: error: %s\n", m.error().to_string().c_str());
        return 2;
      }
      merged = std::move(*m);
      if (merged.only_categories != opts.only_categories ||
          merged.skip_categories != opts.skip_categories) {
        in = load_inputs(merged);
        if (!in) {
          std::fprintf(stderr, "smartspec-batch: error: %s\n", in.error().to_string().c_str());
          return static_cast<int>(in.error().exit);
        }
      }
    }
  }
  const RunOptions& opts_used = merged;
  // Commands that cannot start are bad usage, found before anything is written.
  for (const auto& [flag, cmd] :
       {std::pair<const char*, const std::string&>{"--agent", opts_used.agent},
        {"--verify-cmd", opts_used.verify_cmd}}) {
    if (cmd.empty()) continue;
    if (auto argv = exec::check_command_line(cmd, in->repo.is_bare() ? "" : in->repo.workdir());
        !argv) {
      std::fprintf(stderr, "smartspec-batch: error: %s: %s\n", flag, argv.error().message.c_str());
      return 2;
    }
  }
  if (auto sandbox = check_sandbox_options(opts_used); !sandbox) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", sandbox.error().message.c_str());
    return 2;
  }
  if (in->plan.units.empty() && !opts.resume) {
    console.note("nothing to do: the pack has no task to run");
    if (opts_used.common.json) std::fputs("{\n  \"run_id\": \"\",\n  \"exit_code\": 0,\n  \"units\": []\n}\n", stdout);
    return 0;
  }
  std::optional<git::RepoLock::Holder> stale;
  // When the lock was last written by a run that has died since (its start).
  const auto dead_since = mtime_of(in->repo.common_dir() + "/smartspec/lock");
  auto lock = git::RepoLock::acquire(in->repo, in->run_id, &stale);
  if (!lock) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", lock.error().to_string().c_str());
    return static_cast<int>(lock.error().exit);
  }
  if (stale) {
    spdlog::warn("took over the lock of run {} (pid {}), which is no longer running",
                 stale->run_id, stale->pid);
  }
  spdlog::debug("lock taken");
  if (stale && dead_since) {
    const auto taken_at = mtime_of(in->repo.common_dir() + "/smartspec/lock");
    if (taken_at) clear_stale_locks(in->repo, in->run_id, *dead_since, *taken_at);
  }
  spdlog::debug("stale locks cleared");
  if (auto ok = preflight_refs(in->repo, in->run_id); !ok) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", ok.error().to_string().c_str());
    return 2;
  }
  // Processes a killed run left (an agent's setsid daemon, ...) end before
  // anything touches the worktree; ours are recorded in the same file.
  const std::string procs = in->repo.common_dir() + "/smartspec/processes";
  if (int n = exec::end_recorded_processes(procs); n > 0)
    spdlog::warn("ended {} process(es) left running by an interrupted run", n);
  exec::set_process_record(procs);
  Runner runner(opts_used, *in, console, ports);
  return runner.run();
}

}  // namespace smartspec::engine
