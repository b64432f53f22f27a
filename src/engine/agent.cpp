// The agent executor (`--agent CMD`, issue 7). One call: write the prompt,
// run the agent in the scratch worktree, take what it changed (libgit2's
// tree-to-workdir diff against the snapshot), refuse what must not be
// committed, check syntax, add evidence hooks, build the new tree. Any
// failure puts the worktree back to the snapshot, so no trace remains.
#include "engine/agent.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include "engine/agent_internal.hpp"
#include "engine/agent_progress.hpp"
#include "engine/agent_prompt.hpp"
#include "engine/isolation.hpp"
#include "smartspec/exec/evidence_hooks.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;
using namespace agent_detail;

namespace {

// One run_agent call: up to --agent-attempts agent processes, then one
// outcome for its tasks.
class AgentCall {
 public:
  AgentCall(AgentContext& ctx, const std::vector<const plan::PlannedTask*>& tasks)
      : ctx_(ctx), tasks_(tasks), root_(ctx.scratch.path()), unit_call_(tasks.size() > 1) {}
  Result<AgentResult> run();

 private:
  Result<void> prepare();
  // One agent process; true when no further attempt is made.
  Result<bool> attempt();
  Result<void> user_state_before(UserStateCheck& check);
  Result<std::string> user_state_after(UserStateCheck& check);
  Result<exec::ProcResult> run_unlocked(const exec::ProcSpec& spec, UserStateCheck& check);
  exec::ProcSpec spec_for(const std::string& prompt_path, const std::string& prompt) const;
  Result<void> judge(const Result<exec::ProcResult>& proc, const std::string& escaped);
  void check_syntax();
  void assign_files();
  Result<void> add_evidence_hooks(std::vector<git::Repository::Change>& tree_changes);
  report::TaskReport report_for(const plan::PlannedTask& t, long duration_ms);

  AgentContext& ctx_;
  const std::vector<const plan::PlannedTask*>& tasks_;
  const std::string root_;
  const bool unit_call_;
  std::vector<std::string> ids_;
  std::string stem_;
  std::string tasks_file_;  // what the agent is told (absolute)
  PromptInput pin_;
  std::vector<std::string> argv_template_;
  int max_attempts_ = 1;
  std::string gitlink_before_;

  // Everything after the agent: one outcome for the tasks of this call.
  std::string error_, error_file_;
  int error_line_ = 0;
  std::vector<std::string> notes_;
  std::vector<git::WorktreeChange> changes_;
  // The comparison of the worktree with the snapshot tree and its special
  // files, started on a thread of its own as soon as the agent ended
  // normally: it overlaps the check of the user's repository.
  struct Compared {
    Result<std::vector<git::WorktreeChange>> changes;
    std::vector<std::pair<std::string, std::string>> special;
  };
  std::future<Compared> compared_;
  // The check after the call when it ran unlocked (--jobs).
  std::optional<Result<std::string>> escaped_;
  bool ran_ = true;
  int attempt_ = 0;
  std::vector<Missing> missing_;  // after the last attempt: what does not verify
  std::string log_path_;
  std::vector<std::string> earlier_logs_;
  std::map<std::string, FileSets> per_task_;
  std::set<std::string> hooked_;
  AgentResult result_;
};

Result<void> AgentCall::prepare() {
  for (const auto* t : tasks_) ids_.push_back(t->id);
  stem_ = file_stem(unit_call_ ? ctx_.unit : tasks_.front()->id);
  std::error_code ec;
  fs::create_directories(ctx_.log_dir, ec);
  if (ec) return fail(ctx_.log_dir, 0, "cannot create directory: " + ec.message());
  std::string tasks_shown;  // what the prompt shows (relative to the worktree when inside)
  if (ctx_.tasks_tracked && !ctx_.in.tasks_rel.empty()) {
    tasks_file_ = root_ + "/" + ctx_.in.tasks_rel;
    tasks_shown = ctx_.in.tasks_rel;
  } else {
    tasks_file_ = fs::absolute(ctx_.opts.tasks.empty() ? ctx_.in.tasks.path : ctx_.opts.tasks, ec)
                      .lexically_normal()
                      .string();
    tasks_shown = tasks_file_;
  }
  pin_ = prompt_input(ctx_, tasks_, tasks_shown);
  TRY(argv_template_, exec::split_command_line(ctx_.opts.agent));
  max_attempts_ = std::max(1, ctx_.opts.agent_attempts);
  gitlink_before_ = fingerprint(root_ + "/.git");
  return {};
}

exec::ProcSpec AgentCall::spec_for(const std::string& prompt_path,
                                   const std::string& prompt) const {
  std::vector<std::string> argv = argv_template_;
  for (auto& arg : argv) {
    for (std::size_t pos = 0; (pos = arg.find("{prompt_file}", pos)) != std::string::npos;) {
      arg.replace(pos, 13, prompt_path);
      pos += prompt_path.size();
    }
  }
  exec::ProcSpec spec;
  spec.argv = agent_argv(ctx_.opts, ctx_.repo, ctx_.scratch, std::move(argv),
                         {ctx_.log_dir, fs::path(tasks_file_).parent_path().string()});
  spec.cwd = root_;
  spec.stdin_data = prompt;
  spec.timeout_seconds = ctx_.opts.agent_timeout;
  spec.log_path = log_path_;
  spec.env = {
      {"SMARTSPEC_TASK_ID", join(ids_, ",")}, {"SMARTSPEC_UNIT", ctx_.unit},
      {"SMARTSPEC_CATEGORY", ctx_.unit},      {"SMARTSPEC_PROMPT_FILE", prompt_path},
      {"SMARTSPEC_TASKS_FILE", tasks_file_},  {"SMARTSPEC_RUN_ID", ctx_.in.run_id},
      {"SMARTSPEC_WORKTREE", root_},          {"SMARTSPEC_ATTEMPT", std::to_string(attempt_)}};
  return spec;
}

// The user's repository before the call: the previous call's "after" (one
// call at a time), the lanes' shared snapshot (--jobs), else a new one.
Result<void> AgentCall::user_state_before(UserStateCheck& check) {
  std::unique_lock<std::mutex> guard;
  if (ctx_.user_state_lock != nullptr) guard = std::unique_lock<std::mutex>(*ctx_.user_state_lock);
  std::optional<git::UserState>* shared = ctx_.shared_user_state;
  if (ctx_.user_state_after && ctx_.shared_lock == nullptr) {
    check.before(std::move(*ctx_.user_state_after));
  } else if (shared != nullptr && shared->has_value()) {
    check.before(**shared);
  } else {
    TRY_VOID(check.before());
  }
  ctx_.user_state_after.reset();
  return {};
}

// The user's repository after the call, compared with before: "" or the
// line that names what changed. Keeps the state for the next call's before.
Result<std::string> AgentCall::user_state_after(UserStateCheck& check) {
  TRY(std::string escaped, check.after("agent"));
  if (escaped.empty()) ctx_.user_state_after = check.last();
  if (std::optional<git::UserState>* shared = ctx_.shared_user_state) {
    if (escaped.empty()) {
      *shared = check.last();
    } else {
      shared->reset();
    }
  }
  return escaped;
}

// The agent process. With --jobs the run's lock is released while it runs,
// so the other lanes use git meanwhile. When it ended normally, the
// comparison of its worktree with the snapshot tree starts on a thread of its
// own (its own repository handle; nothing of the run's shared state) and
// overlaps the check of the user's repository: judge() takes it.
Result<exec::ProcResult> AgentCall::run_unlocked(const exec::ProcSpec& spec,
                                                 UserStateCheck& check) {
  escaped_.reset();
  struct Unlocked {
    std::mutex* mu;
    explicit Unlocked(std::mutex* m) : mu(m) {
      if (mu != nullptr) mu->unlock();
    }
    ~Unlocked() {
      if (mu != nullptr) mu->lock();
    }
    Unlocked(const Unlocked&) = delete;
    Unlocked& operator=(const Unlocked&) = delete;
  } unlocked(ctx_.shared_lock);
  Result<exec::ProcResult> ended = [&] {
    AgentTicker ticker(log_path_, ctx_.on_tick);
    return ctx_.processes->run(spec);
  }();
  if (ended && !ended->interrupted && !ended->timed_out && ended->exit_code == 0 &&
      fingerprint(root_ + "/.git") == gitlink_before_) {
    // Opens the worktree's own repository; reads only paths of ctx_.repo.
    compared_ = std::async(
        std::launch::async, [&repo = ctx_.repo, root = root_, tree = ctx_.snapshot_tree] {
          return Compared{git::worktree_changes(repo, root, tree), special_files(root)};
        });
  }
  // --jobs: the check of the user's repository on its own handle, the run's
  // lock still released.
  if (ctx_.shared_lock != nullptr && ctx_.user_state_lock != nullptr &&
      ctx_.user_state_repo != nullptr) {
    std::lock_guard<std::mutex> guard(*ctx_.user_state_lock);
    escaped_ = user_state_after(check);
  }
  return ended;
}

Result<bool> AgentCall::attempt() {
  ++attempt_;
  // Attempt 1 writes <stem>.prompt.md and <stem>.log; later ones <stem>.attempt-N.*
  // (with a log tag, <stem><tag>.*).
  const std::string suffix =
      ctx_.log_tag + (attempt_ == 1 ? "" : ".attempt-" + std::to_string(attempt_));
  const std::string prompt_path = ctx_.log_dir + "/" + stem_ + suffix + ".prompt.md";
  if (!log_path_.empty()) earlier_logs_.push_back(log_path_);
  log_path_ = ctx_.log_dir + "/" + stem_ + suffix + ".log";
  const std::string prompt = attempt_ == 1
                                 ? build_agent_prompt(pin_)
                                 : build_retry_prompt(pin_, attempt_, max_attempts_, missing_);
  TRY_VOID(text::write_file_atomic(prompt_path, prompt));
  const exec::ProcSpec spec = spec_for(prompt_path, prompt);

  UserStateCheck user_state(ctx_.user_state_repo != nullptr ? *ctx_.user_state_repo : ctx_.repo,
                            ctx_.scratch);
  TRY_VOID(user_state_before(user_state));
  // Whichever way this attempt ends, the comparison has ended before
  // anything else touches the worktree.
  struct Joined {
    std::future<Compared>& f;
    ~Joined() {
      if (f.valid()) f.wait();
    }
  } joined{compared_};
  Result<exec::ProcResult> proc = run_unlocked(spec, user_state);
  TRY(const std::string escaped, escaped_ ? std::move(*escaped_) : user_state_after(user_state));
  TRY_VOID(judge(proc, escaped));
  if (error_.empty()) check_syntax();
  if (!error_.empty()) {
    if (proc) result_.output_tail = tail_of_file(log_path_, 5);
    return true;
  }
  // Does it verify now? If not, the next attempt is told what is missing.
  missing_ = still_missing(ctx_, tasks_);
  return missing_.empty();
}

// What the process's end and its changes say: error_ stays empty when both
// are acceptable.
Result<void> AgentCall::judge(const Result<exec::ProcResult>& proc, const std::string& escaped) {
  if (!escaped.empty()) {
    error_ = escaped + "; refused";  // outside the scratch: named, not undone
  } else if (!proc) {
    error_ = "agent could not be started: " + proc.error().message;
    ran_ = attempt_ > 1;  // earlier attempts' changes are in the worktree
  } else if (proc->interrupted) {
    error_ = "interrupted";
  } else if (proc->timed_out) {
    error_ = "timed out after " + std::to_string(ctx_.opts.agent_timeout) + " s";
  } else if (proc->exit_code != 0) {
    error_ = proc->signal != 0 ? "agent killed by signal " + std::to_string(proc->signal)
                               : "agent exited with " + std::to_string(proc->exit_code);
  } else if (fingerprint(root_ + "/.git") != gitlink_before_) {
    // A changed git link is checked first: the worktree cannot even be opened through it.
    error_ = ".git: the agent changed the worktree's git link; refused";
    error_file_ = ".git";
  } else {
    // Compared on its own thread since the agent ended (else now).
    Compared seen = compared_.valid()
                        ? compared_.get()
                        : Compared{git::worktree_changes(ctx_.repo, root_, ctx_.snapshot_tree),
                                   special_files(root_)};
    TRY(changes_, std::move(seen.changes));
    if (auto refusal = find_refusal(root_, changes_, seen.special)) {
      error_ = refusal->message;
      error_file_ = refusal->path;
    }
  }
  return {};
}

// Syntax checks of the files it wrote.
void AgentCall::check_syntax() {
  std::vector<std::string> written;
  for (const auto& c : changes_)
    if (c.status != Status::kDeleted && is_blob_mode(c.mode)) written.push_back(c.path);
  exec::SyntaxReport syntax = ctx_.syntax != nullptr
                                  ? ctx_.syntax->check(written)
                                  : exec::check_syntax(root_, written, ctx_.opts.checks);
  notes_ = syntax.notes;
  if (!syntax.errors.empty()) {
    const auto& e = syntax.errors.front();
    error_ = exec::describe(e);
    error_file_ = e.path;
    error_line_ = e.line;
  }
}

// Which task a file belongs to: the tasks that name it, else the first.
void AgentCall::assign_files() {
  FileSets files = classify(ctx_.repo, ctx_.snapshot_tree, changes_);
  auto assign = [&](const std::string& path, auto add) {
    bool any = false;
    for (const auto* t : tasks_) {
      if (!unit_call_ || named_paths(ctx_.in, *t).count(path)) {
        add(per_task_[t->id]);
        any = true;
      }
    }
    if (!any) add(per_task_[tasks_.front()->id]);
  };
  for (const auto& p : files.created) assign(p, [&](FileSets& s) { s.created.push_back(p); });
  for (const auto& p : files.modified) assign(p, [&](FileSets& s) { s.modified.push_back(p); });
  for (const auto& p : files.deleted) assign(p, [&](FileSets& s) { s.deleted.push_back(p); });
  for (const auto& r : files.renamed)
    assign(r.second, [&](FileSets& s) { s.renamed.push_back(r); });
}

// Evidence hooks for the tasks that have none in the worktree's tasks.md:
// the first code and test file each produced (files the pack names with that
// role first, then by the look of the path).
Result<void> AgentCall::add_evidence_hooks(std::vector<git::Repository::Change>& tree_changes) {
  const std::string& rel = ctx_.in.tasks_rel;
  auto current = text::read_file(root_ + "/" + rel);
  if (!current) return {};
  std::string text_now = *current;
  for (const auto* t : tasks_) {
    auto doc = tasks::parse(text_now, rel);
    const TaskLine* line = doc ? doc->find(t->id) : nullptr;
    if (line == nullptr || line->evidence_lines > 0) continue;
    const FileSets& mine = per_task_[t->id];
    std::vector<std::string> produced = mine.created;
    produced.insert(produced.end(), mine.modified.begin(), mine.modified.end());
    for (const auto& r : mine.renamed) produced.push_back(r.second);
    std::sort(produced.begin(), produced.end());
    std::string code, test;
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& p : produced) {
        if (p == rel) continue;
        auto entry = std::find_if(changes_.begin(), changes_.end(),
                                  [&](const WorktreeChange& c) { return c.path == p; });
        if (entry == changes_.end() || !is_blob_mode(entry->mode)) continue;
        FileRole role = pass == 0 ? named_role(ctx_.in, *t, p) : guessed_role(p);
        if (role == FileRole::kCode && code.empty()) code = p;
        if (role == FileRole::kTest && test.empty()) test = p;
      }
    }
    auto entries = exec::canonical_evidence(code, ctx_.in.pack.tasks[t->pack_index].symbol, test);
    if (entries.empty()) continue;
    auto updated = exec::ensure_evidence(text_now, t->id, entries, rel);
    if (updated && *updated != text_now) {
      text_now = std::move(*updated);
      hooked_.insert(t->id);
    }
  }
  if (text_now == *current) return {};
  TRY_VOID(text::write_file_atomic(root_ + "/" + rel, text_now));
  std::uint32_t mode = ctx_.repo.entry(ctx_.snapshot_tree, rel).mode;
  if (!is_blob_mode(mode)) mode = kModeFile;
  std::erase_if(tree_changes, [&](const auto& c) { return c.path == rel; });
  tree_changes.push_back({rel, text_now, mode});
  return {};
}

report::TaskReport AgentCall::report_for(const plan::PlannedTask& t, long duration_ms) {
  report::TaskReport tr;
  tr.id = t.id;
  tr.title = t.title;
  tr.log = log_path_;
  tr.duration_ms = duration_ms;
  tr.notes = notes_;
  tr.attempts = attempt_;
  for (const auto& l : earlier_logs_) tr.notes.push_back("log of an earlier attempt: " + l);
  if (result_.ok) {
    auto m = std::find_if(missing_.begin(), missing_.end(),
                          [&](const Missing& x) { return x.id == t.id; });
    if (m != missing_.end()) {
      tr.notes.push_back("not verified after " + std::to_string(attempt_) +
                         (attempt_ == 1 ? " attempt" : " attempts") + ": " + join(m->lines, "; "));
    } else if (attempt_ > 1) {
      tr.notes.push_back("verified after attempt " + std::to_string(attempt_));
    }
    tr.status = report::TaskStatus::kSucceeded;
    const FileSets& mine = per_task_[t.id];
    tr.files_created = mine.created;
    tr.files_modified = mine.modified;
    tr.files_renamed = mine.renamed;
    for (const auto& d : mine.deleted) tr.notes.push_back("deleted " + d);
    if (hooked_.count(t.id)) tr.notes.push_back("evidence hooks added to " + ctx_.in.tasks_rel);
  } else {
    tr.status = report::TaskStatus::kFailed;
    tr.error = error_;
    tr.file = error_file_;
    tr.line = error_line_;
    const auto& sugg = ctx_.in.pack.tasks[t.pack_index].suggestions;
    if (!sugg.empty()) tr.suggested_fix = sugg.front();
  }
  if (unit_call_) tr.notes.push_back("one agent call for the unit's tasks " + join(ids_, ", "));
  return tr;
}

Result<AgentResult> AgentCall::run() {
  result_.new_tree = ctx_.snapshot_tree;
  if (tasks_.empty()) {
    result_.ok = true;
    return result_;
  }
  const auto started = std::chrono::steady_clock::now();
  TRY_VOID(prepare());
  while (attempt_ < max_attempts_) {
    TRY(bool last, attempt());
    if (last) break;
  }
  if (error_.empty()) assign_files();
  std::vector<git::Repository::Change> tree_changes;
  for (const auto& c : changes_) {
    if (c.status == Status::kDeleted)
      tree_changes.push_back({c.path, std::nullopt, kModeFile});
    else
      tree_changes.push_back({c.path, c.content, c.mode});
  }
  if (error_.empty() && ctx_.tasks_tracked && ctx_.opts.evidence_hooks &&
      !ctx_.in.tasks_rel.empty())
    TRY_VOID(add_evidence_hooks(tree_changes));
  if (error_.empty()) {
    TRY(result_.new_tree, ctx_.repo.update_tree(ctx_.snapshot_tree, tree_changes));
    result_.ok = true;
  } else if (ran_) {
    TRY_VOID(restore(ctx_, gitlink_before_));
  }
  const long duration_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - started)
                                                 .count());
  for (const auto* t : tasks_) result_.tasks.push_back(report_for(*t, duration_ms));
  return result_;
}

}  // namespace

void SharedUserState::attach(AgentContext& c) {
  c.shared_user_state = &snapshot;
  if (checker) {
    c.user_state_repo = &*checker;
    c.user_state_lock = &mu;
  }
}

Result<AgentResult> run_agent(AgentContext& ctx,
                              const std::vector<const plan::PlannedTask*>& tasks) {
  return AgentCall(ctx, tasks).run();
}

}  // namespace smartspec::engine
