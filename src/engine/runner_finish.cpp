// Ending a run (runner.hpp): the report files and the note, the final state,
// the summary, and --land.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "engine/runner.hpp"
#include "smartspec/engine/ops.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

Result<void> Runner::write_reports(std::string& json) {
  std::string stamp = run_.clock.stamp();
  // Two runs in the same second must not overwrite each other's report
  // (runs are serialised by the repository lock, so a free name stays free).
  fs::path dir = fs::path(run_.repo.workdir()) / ".spec" / "reports";
  std::error_code ec;
  std::string name = "batch_execution_" + stamp;
  for (int n = 2; fs::exists(dir / (name + ".md"), ec) || fs::exists(dir / (name + ".json"), ec);
       ++n)
    name = "batch_execution_" + stamp + "_" + std::to_string(n);
  run_.report.report_md_path = ".spec/reports/" + name + ".md";
  run_.report.report_json_path = ".spec/reports/" + name + ".json";
  std::string md = report::render_markdown(run_.report);
  // Never through a symlink: a committed `.spec` may point out of the
  // repository. Then no file is written, and the note still is.
  auto written = text::write_file_beneath(run_.repo.workdir(), run_.report.report_md_path, md);
  if (!written) {
    spdlog::warn("report files not written: {}", written.error().to_string());
    run_.report.report_md_path.clear();
    run_.report.report_json_path.clear();
    md = report::render_markdown(run_.report);
  }
  json = report::render_json(run_.report);
  if (written) {
    TRY_VOID(text::write_file_beneath(run_.repo.workdir(), run_.report.report_json_path, json));
  }
  // The note on the branch tip: replaced on resume.
  TRY_VOID(run_.repo.set_note(kNotesRef, run_.report.tip, md));
  run_.crash.step();
  return {};
}

int Runner::finish(int exit_code) {
  run_.console.clear_progress();
  run_.report.completed = run_.clock.iso8601();
  run_.report.duration_seconds = run_.clock.seconds() - run_.started_at;
  run_.report.exit_code = exit_code;
  run_.report.tip = run_.repo.read_ref(run_.refs.branch).value_or(run_.in.base);
  if (run_.opts.verify_at_end && exit_code != to_int(Exit::kStopped)) {
    run_.report.after = run_.verify_tree(run_.report.tip);
  }
  std::string json;
  spdlog::debug("finishing");
  if (auto r = write_reports(json); !r)
    spdlog::warn("report not fully written: {}", r.error().to_string());
  run_.state.status = exit_code == to_int(Exit::kStopped) ? "stopped" : "finished";
  run_.state.exit_code = exit_code;
  run_.state.failures = run_.failures;
  run_.state.report_json = json.empty() ? report::render_json(run_.report) : json;
  run_.state.updated = run_.clock.iso8601();
  spdlog::debug("reports and note written");
  if (auto r = write_state(run_.repo, run_.refs.state, run_.state, "", run_.state.status); !r)
    spdlog::warn("run state not updated: {}", r.error().to_string());
  spdlog::debug("run state written");
  // The scratch worktree stays for the next run, which rewrites the paths it
  // needs in place: removing it would cost this run a deletion per file and
  // the next one a new inode per file (and on ext4 deleted inodes slow the
  // allocation of new ones for minutes). `clean` removes it.
  // A full checkout holds the last committed unit's files while its marker
  // still names the checkpoint the unit started from: move the marker (and
  // the index) to the checkpoint now, rewriting only that unit's paths, so
  // the next run does not take them for an interrupted run's leftovers.
  if (run_.scratch && run_.scratch->is_full() && !run_.checkpoint.empty() &&
      run_.scratch->full_commit() != std::optional<std::string>(run_.checkpoint)) {
    if (auto r = run_.scratch->checkout_full(run_.checkpoint); !r)
      spdlog::warn("scratch worktree not brought to {}: {}", run_.checkpoint,
                   r.error().to_string());
  }
  if (run_.scratch && !run_.scratch->is_full())
    (void)run_.scratch->lock(
        "smartspec-batch: scratch worktree kept for reuse (remove with smartspec-batch clean)");
  if (run_.opts.common.json) std::fputs(run_.state.report_json.c_str(), stdout);
  run_.console.summary(run_.report);
  if (run_.opts.land && exit_code != to_int(Exit::kStopped)) {
    // Under the run's lock: nothing can move the refs between run and land.
    if (auto landed = land_run(run_.repo, run_.in.run_id); !landed) {
      std::fprintf(stderr, "smartspec-batch: error: --land: %s\n",
                   landed.error().to_string().c_str());
      return to_int(Exit::kBadInput);
    }
    run_.console.note("landed: the current branch now points at smartspec/" + run_.in.run_id);
  }
  return exit_code;
}

}  // namespace smartspec::engine
