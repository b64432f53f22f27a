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
#include "engine/isolation.hpp"
#include "engine/inputs.hpp"
#include "engine/run_internal.hpp"
#include "engine/state.hpp"
#include "smartspec/engine/ops.hpp"
#include "smartspec/engine/engine.hpp"
#include "smartspec/exec/apply.hpp"
#include "smartspec/exec/confine.hpp"
#include "smartspec/exec/evidence_hooks.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/report/console.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int sig) { g_interrupted = sig; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

report::TaskStatus to_report(exec::TaskStatus s) {
  switch (s) {
    case exec::TaskStatus::kSucceeded:
    case exec::TaskStatus::kAlreadyPresent: return report::TaskStatus::kSucceeded;
    case exec::TaskStatus::kFailed: return report::TaskStatus::kFailed;
    case exec::TaskStatus::kSkippedNeedsAgent: return report::TaskStatus::kSkipped;
  }
  return report::TaskStatus::kFailed;
}

std::string short_id(const std::string& oid) { return oid.substr(0, 7); }

// Test-only crash points: SMARTSPEC_CRASH_AT=N aborts (SIGKILL) at the N-th
// numbered step, to prove that a kill at any instant leaves the repository
// consistent and resumable. SMARTSPEC_CRASH_COUNT=1 prints the count instead.
struct CrashPoints {
  long target = 0;
  long n = 0;
  CrashPoints() {
    if (const char* c = std::getenv("SMARTSPEC_CRASH_AT"); c && *c) target = std::atol(c);
  }
  void step() {
    ++n;
    if (target > 0 && n == target) {
      std::fflush(nullptr);
      ::kill(::getpid(), SIGKILL);
    }
  }
};
CrashPoints g_crash;

}  // namespace

void crash_point() { g_crash.step(); }
bool interrupted() { return g_interrupted != 0; }

void clear_stale_locks(const git::Repository& repo, const std::string& run_id) {
  // A SIGKILL inside a libgit2 ref update leaves "<ref>.lock" behind, and git
  // never removes such files by itself. Holding the repository lock, we are
  // the only writer of the run's own refs and of the scratch worktree, so a
  // lock file there is debris: remove it, or the next update fails.
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
    if (fs::remove(f, ec)) spdlog::warn("removed {} left by an interrupted run", f);
  }
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
  Runner(const RunOptions& opts, Inputs& in, report::Console& console)
      : opts_(opts), in_(in), repo_(in.repo), refs_(in.run_id), console_(console) {}

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
      return 0;
    }
    state_.pack_digest = in_.digest;
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
    for (const auto& u : in_.plan.units) state_.units.emplace_back(unit_name(u.unit));
    state_.total_tasks = static_cast<int>(in_.plan.task_count());
    state_.updated = now_iso8601();
    TRY_VOID(write_state(repo_, refs_.state, state_, plan_json_, "started"));
    crash_point();
    if (!repo_.read_ref(refs_.checkpoint)) {
      TRY_VOID(repo_.update_ref(refs_.checkpoint, in_.base, std::nullopt,
                                "smartspec: start run " + in_.run_id));
      crash_point();
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
    crash_point();
  }
  return -1;  // go on
}

void Runner::verify_before() {
  verify::Summary summary;
  report_.before = verify_tree(in_.base, &summary);
  if (!report_.before) return;
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
    msg += "- " + t->id + (t->title.empty() ? "" : ": " + t->title) + "\n";
    ids += (ids.empty() ? "" : ", ") + t->id;
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
  crash_point();
  auto branch = repo_.read_ref(refs_.branch);
  TRY_VOID(repo_.update_ref(refs_.branch, commit, branch, "smartspec: unit of run " + in_.run_id));
  crash_point();
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
  crash_point();
  return {};
}

void Runner::write_checkpoint_mirror(const std::string& current_unit,
                                     const std::string& current_task) {
  if (!opts_.checkpoint) return;
  report::CheckpointMirror m;
  m.timestamp = now_iso8601();
  m.prompts_dir = opts_.prompts_dir;
  m.completed_categories = state_.completed;
  m.current_category = current_unit;
  m.current_task = current_task;
  m.total_tasks = task_total_;
  m.failures = failures_;
  m.commit = checkpoint_;
  m.ref = refs_.checkpoint;
  fs::path dir = fs::path(repo_.workdir()) / ".spec" / "checkpoints";
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto r = text::write_file_atomic((dir / ("batch_execution_" + in_.run_id + ".json")).string(),
                                   report::render_checkpoint(m));
  if (!r) spdlog::warn("checkpoint mirror not written: {}", r.error().to_string());
}

std::vector<std::string> Runner::unit_paths(const plan::PlannedUnit& unit) const {
  std::vector<std::string> paths;
  for (const auto& t : unit.tasks)
    for (const auto& f : t.files) {
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
  *skip = true;
  console_.progress(uname, task_n_, task_total_, now_seconds() - started_at_, -1);
  if (fail_reason.empty() && interrupted()) fail_reason = "interrupted";
  if (!fail_reason.empty()) {
    tr.status = report::TaskStatus::kNotRun;
    return tr;
  }
  if (already_done_.count(t.id)) {
    tr.status = report::TaskStatus::kAlreadyDone;
    tr.notes.push_back("already verified on the base");
    console_.task_done(task_n_, task_total_, tr);
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
    double t0 = now_seconds();
    const PackTask& pt = in_.pack.tasks[t.pack_index];
    exec::FileTxn txn(scratch_->path());
    exec::TaskOutcome out = exec::apply_task(t, pt, aopts, txn);
    crash_point();
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
      tr.error = "skipped: needs an agent (--agent)";
    bool ok = out.status == exec::TaskStatus::kSucceeded ||
              out.status == exec::TaskStatus::kAlreadyPresent;
    if (ok) add_evidence_hooks(t, pt, txn);
    if (ok) {
      for (const auto& tch : txn.touched()) touched.insert(tch.path);
      txn.commit();
    } else {
      (void)txn.rollback();
      if (out.status == exec::TaskStatus::kFailed) count_failure(fail_reason);
    }
    tr.duration_ms = static_cast<long>((now_seconds() - t0) * 1000);
    console_.task_done(task_n_, task_total_, tr);
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
  auto run_batch = [&](const std::vector<const plan::PlannedTask*>& batch,
                       std::vector<report::TaskReport>& reports) -> Result<void> {
    ctx.snapshot_tree = snapshot;
    double t0 = now_seconds();
    TRY(AgentResult res, run_agent(ctx, batch));
    crash_point();
    if (res.ok) snapshot = res.new_tree;
    for (std::size_t k = 0; k < batch.size(); ++k) {
      report::TaskReport tr = k < res.tasks.size() ? res.tasks[k] : report::TaskReport{};
      tr.id = batch[k]->id;
      tr.title = batch[k]->title;
      if (!res.ok && tr.status == report::TaskStatus::kSucceeded) tr.status = report::TaskStatus::kFailed;
      if (tr.duration_ms == 0) tr.duration_ms = static_cast<long>((now_seconds() - t0) * 1000);
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
        if (tr.status == report::TaskStatus::kFailed) count_failure(fail_reason);
        console_.task_done(++n, task_total_, tr);
        ur.tasks.push_back(std::move(tr));
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
        if (r.status == report::TaskStatus::kFailed) count_failure(fail_reason);
        console_.task_done(task_n_, task_total_, r);
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
    TRY(auto res, exec::run_process(spec));
    TRY(const std::string escaped, user_state.after("pre-commit hook"));
    if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
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
    TRY(auto res, exec::run_process(spec));
    TRY(const std::string escaped, user_state.after("commit-msg hook"));
    if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
    auto edited = text::read_file(file);
    ::unlink(file.c_str());
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
  crash_point();

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

  auto succeeded = [&ur]() {
    std::vector<const report::TaskReport*> done;
    for (const auto& tr : ur.tasks)
      if (tr.status == report::TaskStatus::kSucceeded) done.push_back(&tr);
    return done;
  };
  std::string commit;
  std::string message = commit_message(unit, succeeded());
  if (fail_reason.empty() && tree != base_tree && opts_.run_hooks) {
    TRY(fail_reason, run_commit_hooks(tree, message));
    if (!fail_reason.empty()) {
      for (auto& tr : ur.tasks)
        if (tr.status == report::TaskStatus::kSucceeded) tr.notes.push_back(fail_reason);
    }
  }
  if (fail_reason.empty() && tree != base_tree) {
    TRY(commit, repo_.create_commit(tree, {checkpoint_}, message));
    crash_point();
  }

  // Verification of the unit's tasks on the unit's tree.
  if (fail_reason.empty() && !commit.empty() && (opts_.verify_after_each || opts_.mark_done)) {
    verify::Summary s;
    verify_tree(commit, &s);
    std::vector<std::string> unverified, verified;
    for (const auto& t : unit.tasks) {
      auto it = std::find_if(s.tasks.begin(), s.tasks.end(),
                             [&](const verify::TaskResult& r) { return r.id == t.id; });
      if (it == s.tasks.end()) continue;
      (it->verified ? verified : unverified).push_back(t.id);
    }
    if (opts_.verify_after_each && !unverified.empty()) {
      std::string ids;
      for (const auto& id : unverified) ids += (ids.empty() ? "" : ", ") + id;
      fail_reason = "not verified after the unit: " + ids;
      for (auto& tr : ur.tasks)
        if (std::find(unverified.begin(), unverified.end(), tr.id) != unverified.end() &&
            tr.status == report::TaskStatus::kSucceeded) {
          tr.status = report::TaskStatus::kFailed;
          tr.error = "not verified after the unit";
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
    auto res = exec::run_process(spec);
    // Named, not refused: the user may commit while a run goes on.
    TRY(const std::string escaped, user_state.after("--verify-cmd"));
    if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
    checkout_checked_ = false;  // what it wrote is put back before the next unit
    verify_cmd_ran_ = true;
    if (!res) {
      fail_reason = "--verify-cmd: " + res.error().message;
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
  state_.failures = failures_;
  state_.updated = now_iso8601();
  TRY_VOID(write_state(repo_, refs_.state, state_, "", "unit " + uname + " done"));
  spdlog::debug("unit {}: run state written", uname);
  crash_point();
  write_checkpoint_mirror("", "");
  console_.unit_done(ur);
  return true;
}

Result<void> Runner::write_reports(std::string& json) {
  std::string stamp = now_stamp();
  fs::path dir = fs::path(repo_.workdir()) / ".spec" / "reports";
  std::error_code ec;
  fs::create_directories(dir, ec);
  report_.report_md_path = ".spec/reports/batch_execution_" + stamp + ".md";
  report_.report_json_path = ".spec/reports/batch_execution_" + stamp + ".json";
  std::string md = report::render_markdown(report_);
  TRY_VOID(text::write_file_atomic(repo_.workdir() + "/" + report_.report_md_path, md));
  json = report::render_json(report_);
  TRY_VOID(text::write_file_atomic(repo_.workdir() + "/" + report_.report_json_path, json));
  // The note on the branch tip: replaced on resume.
  TRY_VOID(repo_.set_note(kNotesRef, report_.tip, md));
  crash_point();
  return {};
}

int Runner::finish(int exit_code) {
  console_.clear_progress();
  report_.completed = now_iso8601();
  report_.duration_seconds = now_seconds() - started_at_;
  report_.exit_code = exit_code;
  report_.tip = repo_.read_ref(refs_.branch).value_or(in_.base);
  if (opts_.verify_at_end && exit_code != 3) {
    report_.after = verify_tree(report_.tip);
  }
  std::string json;
  spdlog::debug("finishing");
  if (auto r = write_reports(json); !r) spdlog::warn("report not fully written: {}", r.error().to_string());
  state_.status = exit_code == 3 ? "stopped" : "finished";
  state_.failures = failures_;
  state_.report_json = json.empty() ? report::render_json(report_) : json;
  state_.updated = now_iso8601();
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
  started_at_ = now_seconds();
  report_.run_id = in_.run_id;
  report_.branch = "smartspec/" + in_.run_id;
  report_.pack_digest = in_.digest;
  report_.prompts_dir = opts_.prompts_dir;
  report_.tasks_path = opts_.tasks;
  report_.started = now_iso8601();
  report_.mode = opts_.agent.empty() ? "apply" : "agent";
  for (const auto& w : in_.plan.warnings)
    report_.warnings.push_back((w.file.empty() ? "" : w.file + (w.line ? ":" + std::to_string(w.line) : "") + ": ") + w.message);
  plan_json_ = plan::render_json(in_.plan, in_.pack);
  task_total_ = static_cast<int>(in_.plan.task_count());

  auto started = start_or_resume();
  if (!started) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", started.error().to_string().c_str());
    return static_cast<int>(started.error().exit);
  }
  if (*started >= 0) return *started;
  spdlog::debug("run state written");
  report_.base = state_.base;
  tasks_tracked_ = !in_.tasks_rel.empty() &&
                   repo_.entry(checkpoint_, in_.tasks_rel).kind != git::Repository::Kind::kMissing;

  auto sc = git::Scratch::open(repo_, "main");
  if (!sc) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", sc.error().to_string().c_str());
    return 2;
  }
  scratch_.emplace(std::move(*sc));
  spdlog::debug("scratch worktree opened");
  crash_point();
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

  if (opts_.verify_at_end || opts_.verify_after_each) verify_before();

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
      for (const auto& t : unit.tasks) {
        ++task_n_;
        report::TaskReport tr;
        tr.id = t.id;
        tr.title = t.title;
        tr.status = report::TaskStatus::kSucceeded;
        tr.notes.push_back("done in an earlier invocation");
        ur.tasks.push_back(tr);
      }
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
    for (const auto& u : report_.units)
      for (const auto& t : u.tasks)
        if (t.status == report::TaskStatus::kFailed || t.status == report::TaskStatus::kSkipped)
          exit_code = 1;
  }
  return finish(exit_code);
}

}  // namespace

int run_command(const RunOptions& opts) {
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
  if (!opts.agent.empty()) {
    if (auto argv = exec::split_command_line(opts.agent); !argv) {
      std::fprintf(stderr, "smartspec-batch: error: --agent: %s\n", argv.error().message.c_str());
      return 2;
    }
  }
  if (auto sandbox = check_sandbox_options(opts); !sandbox) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", sandbox.error().message.c_str());
    return 2;
  }
  if (in->plan.units.empty() && !opts.resume) {
    console.note("nothing to do: the pack has no task to run");
    if (opts.common.json) std::fputs("{\n  \"run_id\": \"\",\n  \"exit_code\": 0,\n  \"units\": []\n}\n", stdout);
    return 0;
  }
  std::optional<git::RepoLock::Holder> stale;
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
  clear_stale_locks(in->repo, in->run_id);
  spdlog::debug("stale locks cleared");
  Runner runner(opts, *in, console);
  return runner.run();
}

}  // namespace smartspec::engine
