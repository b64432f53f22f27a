#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "smartspec/plan/plan.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/path_rules.hpp"

namespace smartspec::plan {

namespace {

std::string plural(std::size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// Appends formatted text to `out`.
template <typename... Args>
void put(std::string& out, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
}

std::size_t needing_agent(const Plan& plan) {
  std::size_t n = 0;
  for (const auto& u : plan.units)
    for (const auto& t : u.tasks) n += t.needs_agent ? 1 : 0;
  return n;
}

// A coarse estimate a person can plan with: applying is near instant; an agent
// call takes minutes (the seed workflow's rule of thumb: ~2 minutes a task).
std::string estimate(const Plan& plan) {
  std::size_t tasks = plan.task_count();
  std::size_t agent = needing_agent(plan);
  std::string out = fmt::format("apply mode: {} to apply", plural(tasks - agent, "task"));
  if (agent > 0) put(out, ", {} need an agent (--agent)", plural(agent, "task"));
  put(out, "; agent mode: about {} min", tasks * 2);
  return out;
}

// One task of render_json's "units" array.
void write_task_json(JsonWriter& w, const PlannedTask& t, const PackTask& pt) {
  w.begin_object();
  w.field("id", t.id).field("title", t.title);
  w.field("category", std::string(unit_name(t.category)));
  w.field("source", pt.source).field("line", pt.line);
  w.field("in_tasks_md", t.known).field("checked", t.checked);
  w.field("needs_agent", t.needs_agent);
  w.key("files").begin_array();
  for (const auto& f : t.files) {
    w.begin_object();
    if (t.evidence_update && f.action == Action::kRename) {
      // Option A: tasks.md's evidence path goes from `from` (the path
      // it names now) to `path` (the similar file); nothing is renamed.
      w.field("path", f.from).field("role", std::string(role_name(f.role)));
      w.field("action", std::string("update_evidence")).field("from", f.path);
    } else {
      w.field("path", f.path).field("role", std::string(role_name(f.role)));
      w.field("action", std::string(action_name(f.action)));
      if (f.action == Action::kRename) w.field("from", f.from);
    }
    w.field("path_from", std::string(source_name(f.source)));
    w.field("has_content", f.has_content).field("skeleton", f.skeleton);
    if (!f.refused.empty()) w.field("refused", f.refused);
    w.end_object();
  }
  w.end_array();
  w.key("notes").string_array(t.notes);
  w.end_object();
}

// A file line of a task in render_text.
void file_line(std::string& out, const PlannedTask& t, const PlannedFile& f) {
  if (!f.refused.empty()) {
    put(out, "      refused {}  ({})\n", paths::printable(f.path), f.refused);
    return;
  }
  // The pack's option A updates tasks.md's evidence path, no file moves.
  const bool evidence = t.evidence_update && f.action == Action::kRename;
  const std::string act = evidence ? "update" : std::string(action_name(f.action));
  put(out, "      {}", act);
  out.append(std::max<std::size_t>(1, 8 - act.size()), ' ');
  if (evidence) {
    put(out, "evidence path {} -> {} in tasks.md", paths::printable(f.path),
        paths::printable(f.from));
  } else {
    if (f.action == Action::kRename) put(out, "{} -> ", paths::printable(f.from));
    out += paths::printable(f.path);
  }
  put(out, "  ({}, path from {}{})\n", role_name(f.role), source_name(f.source),
      f.skeleton ? ", skeleton" : "");
}

}  // namespace

std::string render_text(const Plan& plan, const Pack& pack) {
  std::string out;
  put(out, "Plan for run {} ({})\n", plan.run_id, plural(pack.files.size(), "category file"));
  if (plan.units.empty()) {
    out += "\nNothing to do: the pack has no task to run.\n";
  }
  std::size_t n = 0;
  const std::size_t total = plan.task_count();
  for (const auto& u : plan.units) {
    put(out, "\n{} (priority {}, {})\n", unit_name(u.unit), u.priority,
        plural(u.tasks.size(), "task"));
    for (const auto& t : u.tasks) {
      ++n;
      const PackTask& pt = pack.tasks[t.pack_index];
      // Ids, titles, paths and notes come from the pack: shown escaped.
      put(out, "  [{}/{}] {}", n, total, paths::printable(t.id));
      if (!t.title.empty()) put(out, ": {}", paths::printable(t.title));
      put(out, "  ({}:{})", pt.source, pt.line);
      if (!t.known) out += "  [not in tasks.md]";
      if (t.needs_agent) out += "  [needs an agent]";
      out += "\n";
      for (const auto& f : t.files) file_line(out, t, f);
      for (const auto& note : t.notes) put(out, "      note: {}\n", paths::printable(note));
    }
  }
  if (!plan.warnings.empty()) {
    out += "\nWarnings:\n";
    for (const auto& w : plan.warnings) {
      out += "  ";
      if (!w.file.empty() && w.line > 0) {
        put(out, "{}:{}: ", w.file, w.line);
      } else if (!w.file.empty()) {
        put(out, "{}: ", w.file);
      }
      put(out, "{}\n", paths::printable(w.message));
    }
  }
  put(out, "\nTotal: {} across {}\n", plural(total, "task"), plural(plan.units.size(), "unit"));
  put(out, "Estimate: {}\n", estimate(plan));
  return out;
}

std::string render_json(const Plan& plan, const Pack& pack) {
  JsonWriter w;
  w.begin_object();
  w.field("run_id", plan.run_id);
  w.key("category_files").begin_array();
  for (const auto& f : pack.files) {
    w.begin_object().field("unit", std::string(unit_name(f.category))).field("file", f.name);
    w.end_object();
  }
  w.end_array();
  w.field("total_tasks", plan.task_count());
  w.field("total_units", plan.units.size());
  w.field("needs_agent", needing_agent(plan));
  w.key("units").begin_array();
  for (const auto& u : plan.units) {
    w.begin_object();
    w.field("name", std::string(unit_name(u.unit))).field("priority", u.priority);
    w.key("tasks").begin_array();
    for (const auto& t : u.tasks) {
      write_task_json(w, t, pack.tasks[t.pack_index]);
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("warnings").begin_array();
  for (const auto& d : plan.warnings) {
    w.begin_object().field("file", d.file).field("line", d.line).field("message", d.message);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace smartspec::plan
