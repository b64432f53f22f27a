// The helpers of a run's shared context (run_context.hpp).
#include "engine/run_context.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

bool RunContext::eol_rules_may_apply(const std::string& rel) {
  // libgit2's attribute lookup reads the whole index each time; most paths
  // have no .gitattributes on their way, and then only the config decides.
  if (!eol_neutral_) eol_neutral_ = git::eol_settings_neutral(repo);
  if (!*eol_neutral_) return true;
  if (!attr_source_ || attr_commit_ != checkpoint) {
    attr_source_ = git::tree_source(repo, checkpoint);
    attr_commit_ = checkpoint;
    attr_dirs_.clear();
  }
  std::string dir = rel;
  while (true) {
    auto slash = dir.rfind('/');
    dir = slash == std::string::npos ? std::string() : dir.substr(0, slash);
    auto it = attr_dirs_.find(dir);
    if (it == attr_dirs_.end()) {
      bool has = false;
      for (const auto& e : attr_source_->list(dir)) has = has || e.name == ".gitattributes";
      it = attr_dirs_.emplace(dir, has).first;
    }
    if (it->second) return true;
    if (dir.empty()) return false;
  }
}

std::string RunContext::line_ending(const std::string& rel) {
  return eol_rules_may_apply(rel) ? repo.checkout_eol(checkpoint, rel) : std::string("\n");
}

Result<std::vector<git::Repository::Change>> RunContext::collect_changes(
    const std::vector<std::string>& paths) {
  std::vector<git::Repository::Change> changes;
  for (const auto& rel : paths) {
    std::string abs = scratch->path() + "/" + rel;
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
    if (eol_rules_may_apply(rel)) bytes = repo.to_odb(checkpoint, rel, std::move(bytes));
    changes.push_back({rel, std::move(bytes), (st.st_mode & S_IXUSR) ? 0100755u : 0100644u});
  }
  return changes;
}

std::optional<report::VerifyFigures> RunContext::verify_tree(const std::string& commit,
                                                             verify::Summary* out,
                                                             const std::set<std::string>* only) {
  // tasks.md as the commit has it when tracked (evidence hooks may have been
  // added by earlier units), else the file given.
  TasksDoc doc = in.tasks;
  if (tasks_tracked) {
    if (auto text = repo.read_file(commit, in.tasks_rel)) {
      if (auto parsed = tasks::parse(*text, in.tasks.path)) doc = std::move(*parsed);
    }
  }
  if (only != nullptr)
    std::erase_if(doc.tasks, [&](const TaskLine& t) { return only->count(t.id) == 0; });
  auto source = git::tree_source(repo, commit);
  verify::Options options;
  options.verdicts_only = true;
  verify::Summary s = verify::verify(doc, *source, options);
  report::VerifyFigures f{s.totals.tasks, s.totals.verified, s.totals.not_verified};
  if (out != nullptr) *out = std::move(s);
  return f;
}

void RunContext::write_checkpoint_mirror(const std::string& current_unit,
                                         const std::string& current_task) {
  if (!opts.checkpoint) return;
  report::CheckpointMirror m;
  m.timestamp = clock.iso8601();
  m.prompts_dir = opts.prompts_dir;
  m.completed_categories = state.completed;
  m.current_category = current_unit;
  m.current_task = current_task;
  m.total_tasks = task_total;
  m.failures = failures;
  m.commit = checkpoint;
  m.ref = refs.checkpoint;
  // Never through a symlink: a committed `.spec` may point out of the repository.
  auto r = text::write_file_beneath(repo.workdir(),
                                    ".spec/checkpoints/batch_execution_" + in.run_id + ".json",
                                    report::render_checkpoint(m));
  if (!r) spdlog::warn("checkpoint mirror not written: {}", r.error().to_string());
}

void RunContext::print_tasks(const report::UnitReport& ur) {
  for (const auto& tr : ur.tasks) {
    if (tr.number <= 0 || tr.status == report::TaskStatus::kNotRun) continue;
    console.task_done(tr.number, task_total, tr);
    // A failed agent call: the end of its output and its log, under its line.
    auto tail = agent_tails.find(tr.id);
    if (tail == agent_tails.end()) continue;
    if (tr.status == report::TaskStatus::kFailed) console.agent_output(tail->second, tr.log);
    agent_tails.erase(tail);
  }
}

}  // namespace smartspec::engine
