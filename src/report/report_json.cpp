// The run report as JSON (what scripts parse; schema in docs/json.md, "Report
// JSON schema") and the checkpoint mirror. Pure functions of their input.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/format.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::report {

namespace {

// Absent facts are null, never "" or 0, so scripts can test for them.
void opt_string(JsonWriter& w, std::string_view k, const std::string& s) {
  w.key(k);
  if (s.empty()) {
    w.null();
  } else {
    w.value(s);
  }
}

void figures(JsonWriter& w, std::string_view k, const std::optional<VerifyFigures>& v) {
  w.key(k);
  if (!v) {
    w.null();
    return;
  }
  w.begin_object()
      .field("total", v->total)
      .field("verified", v->verified)
      .field("not_verified", v->not_verified)
      .end_object();
}

void task_json(JsonWriter& w, const TaskReport& t) {
  w.begin_object();
  w.field("id", t.id).field("title", t.title).field("status", task_status_name(t.status));
  w.field("has_evidence", t.has_evidence).field("done", task_done(t));
  opt_string(w, "error", t.error);
  opt_string(w, "file", t.file);
  w.key("line");
  if (t.line > 0) {
    w.value(t.line);
  } else {
    w.null();
  }
  opt_string(w, "suggested_fix", t.suggested_fix);
  w.key("files_created").string_array(t.files_created);
  w.key("files_modified").string_array(t.files_modified);
  w.key("files_renamed").begin_array();
  for (const auto& [from, to] : t.files_renamed) {
    w.begin_object().field("from", from).field("to", to).end_object();
  }
  w.end_array();
  w.key("notes").string_array(t.notes);
  opt_string(w, "log", t.log);
  if (t.attempts > 0) w.field("attempts", t.attempts);
  w.field("duration_ms", static_cast<std::int64_t>(t.duration_ms));
  w.end_object();
}

}  // namespace

namespace {

// Text from outside (a command's output, a path, a pack's title) may not be
// UTF-8; JSON must be: every byte that does not start or continue a valid
// UTF-8 sequence becomes U+FFFD. Valid text is returned unchanged.
std::string valid_utf8(std::string s) {
  std::size_t bad = text::invalid_utf8_offset(s);
  if (bad == std::string::npos) return s;
  std::string out = s.substr(0, bad);
  std::string_view rest = std::string_view(s).substr(bad);
  while (!rest.empty()) {
    std::size_t next = text::invalid_utf8_offset(rest);
    if (next == std::string::npos) {
      out += rest;
      break;
    }
    out += rest.substr(0, next);
    out += "\xEF\xBF\xBD";
    rest.remove_prefix(next + 1);
  }
  return out;
}

}  // namespace

std::string render_json(const RunReport& r) {
  const Totals t = totals(r);
  JsonWriter w;
  w.begin_object();
  w.field("run_id", r.run_id).field("branch", r.branch).field("base", r.base);
  opt_string(w, "tip", r.tip);
  w.field("pack_digest", r.pack_digest)
      .field("prompts_dir", r.prompts_dir)
      .field("tasks_path", r.tasks_path)
      .field("started", r.started)
      .field("completed", r.completed)
      .field("duration_seconds", r.duration_seconds)
      .field("resumed", r.resumed)
      .field("dry_run", r.dry_run)
      .field("mode", r.mode)
      .field("exit_code", r.exit_code);
  opt_string(w, "stopped_reason", r.stopped_reason);
  w.key("totals")
      .begin_object()
      .field("total", t.total)
      .field("verified", t.verified)
      .field("applied_unverified", t.applied_unverified)
      .field("no_change", t.no_change)
      .field("needs_agent", t.needs_agent)
      .field("refused", t.refused)
      .field("failed", t.failed)
      .field("already_done", t.already_done)
      .field("not_run", t.not_run)
      .field("done", t.done)
      .end_object();
  w.key("units").begin_array();
  for (const auto& u : r.units) {
    w.begin_object()
        .field("name", unit_name(u.unit))
        .field("priority", u.priority)
        .field("status", unit_status_name(u.status));
    opt_string(w, "commit", u.commit);
    opt_string(w, "reason", u.reason);
    opt_string(w, "failed_ref", u.failed_ref);
    opt_string(w, "verify_cmd_output", u.verify_cmd_output);
    w.key("tasks").begin_array();
    for (const auto& task : u.tasks) task_json(w, task);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("verification").begin_object();
  figures(w, "before", r.before);
  figures(w, "after", r.after);
  w.end_object();
  w.key("warnings").string_array(r.warnings);
  w.key("report").begin_object();
  opt_string(w, "markdown", r.report_md_path);
  opt_string(w, "json", r.report_json_path);
  w.end_object();
  w.end_object();
  return valid_utf8(w.str());
}

std::string render_checkpoint(const CheckpointMirror& c) {
  JsonWriter w;
  w.begin_object();
  w.field("timestamp", c.timestamp).field("prompts_dir", c.prompts_dir);
  w.key("completed_categories").string_array(c.completed_categories);
  opt_string(w, "current_category", c.current_category);
  opt_string(w, "current_task", c.current_task);
  w.field("total_tasks", c.total_tasks).field("failures", c.failures);
  opt_string(w, "commit", c.commit);
  opt_string(w, "ref", c.ref);
  w.end_object();
  return w.str();
}

}  // namespace smartspec::report