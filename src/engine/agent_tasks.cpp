// The tasks' side of an agent call: the prompt's input, the evidence still
// missing after a call, which task a changed file belongs to (agent_internal.hpp).
#include <algorithm>

#include "engine/agent_internal.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine::agent_detail {

// ------------------------------------------------------------ prompt
std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

namespace {

std::vector<std::string> evidence_paths(const Inputs& in, const std::string& id) {
  std::vector<std::string> out;
  if (const TaskLine* line = in.tasks.find(id)) {
    for (const auto& e : line->evidence) {
      auto p = e.get("path");
      if (p && !p->empty() && std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
    }
  }
  return out;
}

// Paths the task names, in order: its pack section's files, the plan's, its evidence.
std::vector<std::string> ordered_paths(const Inputs& in, const plan::PlannedTask& t) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& f : in.pack.tasks[t.pack_index].files) add(f.path);
  for (const auto& f : t.files) add(f.path);
  for (const auto& p : evidence_paths(in, t.id)) add(p);
  return out;
}

}  // namespace

PromptInput prompt_input(const AgentContext& ctx,
                         const std::vector<const plan::PlannedTask*>& tasks,
                         const std::string& tasks_file) {
  PromptInput pin;
  pin.unit = ctx.unit;
  pin.tasks_file = tasks_file;
  pin.program = ctx.program;
  for (const auto* t : tasks) {
    const PackTask& pt = ctx.in.pack.tasks[t->pack_index];
    PromptTask task;
    task.id = t->id;
    task.title = t->title;
    task.section = pt.raw;
    if (const TaskLine* line = ctx.in.tasks.find(t->id)) task.evidence = line->evidence;
    task.files = ordered_paths(ctx.in, *t);
    task.symbol = pt.symbol.value_or("");
    task.contains = pt.contains.value_or("");
    pin.tasks.push_back(std::move(task));
  }
  return pin;
}

// Verifies the tasks' evidence on the worktree's files (tasks.md: the
// worktree's copy when tracked, else the one given). What is still missing,
// per unverified task (a task with no evidence line has nothing to check).
std::vector<Missing> still_missing(const AgentContext& ctx,
                                   const std::vector<const plan::PlannedTask*>& tasks) {
  const std::string root = ctx.scratch.path();
  std::optional<TasksDoc> worktree_doc;
  if (ctx.tasks_tracked && !ctx.in.tasks_rel.empty()) {
    if (auto bytes = text::read_file(root + "/" + ctx.in.tasks_rel)) {
      if (auto parsed = tasks::parse(*bytes, ctx.in.tasks_rel)) worktree_doc = std::move(*parsed);
    }
  }
  const TasksDoc& doc = worktree_doc ? *worktree_doc : ctx.in.tasks;
  TasksDoc mine;
  mine.path = doc.path;
  for (const auto* t : tasks) {
    const TaskLine* line = doc.find(t->id);
    if (line == nullptr || line->evidence.empty()) continue;
    mine.tasks.push_back(*line);
  }
  std::vector<Missing> out;
  if (mine.tasks.empty()) return out;
  verify::DirSource source(root);
  verify::Summary summary = verify::verify(mine, source);
  for (const auto& r : summary.tasks) {
    if (r.verified) continue;
    Missing m{r.id, {}};
    for (const auto& c : r.checks)
      if (!c.ok) m.lines.push_back(describe_missing(c));
    if (m.lines.empty()) m.lines.push_back("the verifier does not accept its evidence yet");
    out.push_back(std::move(m));
  }
  return out;
}

// Paths the task names: its pack section's files and its evidence.
std::set<std::string> named_paths(const Inputs& in, const plan::PlannedTask& t) {
  std::set<std::string> out;
  for (const auto& f : in.pack.tasks[t.pack_index].files) out.insert(f.path);
  for (const auto& f : t.files) out.insert(f.path);
  for (const auto& p : evidence_paths(in, t.id)) out.insert(p);
  return out;
}

// The role the pack (or the plan) gives `rel` for this task; kOther when none.
FileRole named_role(const Inputs& in, const plan::PlannedTask& t, const std::string& rel) {
  for (const auto& f : in.pack.tasks[t.pack_index].files)
    if (f.path == rel && f.role != FileRole::kOther) return f.role;
  for (const auto& f : t.files)
    if (f.path == rel && f.role != FileRole::kOther) return f.role;
  return FileRole::kOther;
}

// The path's look, for files the task does not name.
FileRole guessed_role(const std::string& rel) {
  if (looks_like_test(rel)) return FileRole::kTest;
  if (looks_like_code(rel)) return FileRole::kCode;
  return FileRole::kOther;
}

}  // namespace smartspec::engine::agent_detail
