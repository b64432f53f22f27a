#include <algorithm>

#include "smartspec/plan/plan.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/path_rules.hpp"

namespace smartspec::plan {

namespace {

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
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
  std::string out = "apply mode: " + plural(tasks - agent, "task") + " to apply";
  if (agent > 0) out += ", " + plural(agent, "task") + " need an agent (--agent)";
  out += "; agent mode: about " + std::to_string(tasks * 2) + " min";
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

}  // namespace

std::string render_text(const Plan& plan, const Pack& pack) {
  std::string out;
  out += "Plan for run " + plan.run_id + " (" + plural(pack.files.size(), "category file") + ")\n";
  if (plan.units.empty()) {
    out += "\nNothing to do: the pack has no task to run.\n";
  }
  std::size_t n = 0;
  const std::size_t total = plan.task_count();
  for (const auto& u : plan.units) {
    out += "\n" + std::string(unit_name(u.unit)) + " (priority " + std::to_string(u.priority) +
           ", " + plural(u.tasks.size(), "task") + ")\n";
    for (const auto& t : u.tasks) {
      ++n;
      const PackTask& pt = pack.tasks[t.pack_index];
      // Ids, titles, paths and notes come from the pack: shown escaped.
      out +=
          "  [" + std::to_string(n) + "/" + std::to_string(total) + "] " + paths::printable(t.id);
      if (!t.title.empty()) out += ": " + paths::printable(t.title);
      out += "  (" + pt.source + ":" + std::to_string(pt.line) + ")";
      if (!t.known) out += "  [not in tasks.md]";
      if (t.needs_agent) out += "  [needs an agent]";
      out += "\n";
      for (const auto& f : t.files) {
        if (!f.refused.empty()) {
          out += "      refused " + paths::printable(f.path) + "  (" + f.refused + ")\n";
          continue;
        }
        // The pack's option A updates tasks.md's evidence path, no file moves.
        const bool evidence = t.evidence_update && f.action == Action::kRename;
        const std::string act = evidence ? "update" : std::string(action_name(f.action));
        out += "      " + act;
        out.append(std::max<std::size_t>(1, 8 - act.size()), ' ');
        if (evidence) {
          out += "evidence path " + paths::printable(f.path) + " -> " + paths::printable(f.from) +
                 " in tasks.md";
        } else {
          if (f.action == Action::kRename) out += paths::printable(f.from) + " -> ";
          out += paths::printable(f.path);
        }
        out += "  (" + std::string(role_name(f.role)) + ", path from " +
               std::string(source_name(f.source));
        if (f.skeleton) out += ", skeleton";
        out += ")\n";
      }
      for (const auto& note : t.notes) out += "      note: " + paths::printable(note) + "\n";
    }
  }
  if (!plan.warnings.empty()) {
    out += "\nWarnings:\n";
    for (const auto& w : plan.warnings) {
      out += "  ";
      if (!w.file.empty()) out += w.file + (w.line > 0 ? ":" + std::to_string(w.line) : "") + ": ";
      out += paths::printable(w.message) + "\n";
    }
  }
  out +=
      "\nTotal: " + plural(total, "task") + " across " + plural(plan.units.size(), "unit") + "\n";
  out += "Estimate: " + estimate(plan) + "\n";
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
