// `show`: a run's report, as the note on its branch or (--json) the report JSON.
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/ops_common.hpp"
#include "engine/run_internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

// The report JSON of a run: report.json in its state tree, else the newest
// .spec/reports/batch_execution_*.json whose run_id is the run's.
std::optional<std::string> report_json(const git::Repository& repo, const ops::RunView& run) {
  if (run.state_commit) {
    if (auto j = repo.read_file(*run.state_commit, "report.json")) return j;
  }
  fs::path dir = fs::path(repo.workdir()) / ".spec" / "reports";
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("batch_execution_", 0) == 0 && e.path().extension() == ".json")
      files.push_back(e.path());
  }
  std::sort(files.rbegin(), files.rend());
  simdjson::dom::parser parser;
  for (const auto& f : files) {
    auto bytes = text::read_file(f.string());
    if (!bytes) continue;
    simdjson::dom::element doc;
    std::string_view id;
    if (parser.parse(*bytes).get(doc) || doc["run_id"].get_string().get(id)) continue;
    if (id == run.id) return *bytes;
  }
  return std::nullopt;
}

}  // namespace

int show_command(const RunSelect& opts) {
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  std::string id = opts.run_id;
  if (id.empty()) {
    // The latest run: the state updated last.
    std::string newest;
    for (const auto& candidate : ops::run_ids(*repo)) {
      auto st = read_state(*repo, RunRefs(candidate).state);
      if (st && *st && (*st)->updated >= newest) {
        newest = (*st)->updated;
        id = candidate;
      }
    }
    if (id.empty()) return ops::report_error(Error{{}, 0, "no runs in this repository"});
  }
  auto run = ops::load_run(*repo, id);
  if (!run) return ops::report_error(run.error());
  if (opts.common.json) {
    auto json = report_json(*repo, *run);
    if (!json) {
      return ops::report_error(Error{{},
                                     0,
                                     "run " + id + " has no report JSON (neither in " +
                                         run->refs.state +
                                         " nor in .spec/reports/); it may have been "
                                         "stopped before writing one"});
    }
    std::fputs(json->c_str(), stdout);
    return to_int(Exit::kOk);
  }
  if (!run->branch) {
    return ops::report_error(
        Error{{}, 0, "run " + id + " has no result branch smartspec/" + id + " (deleted?)"});
  }
  auto note = repo->read_note(kNotesRef, *run->branch);
  if (!note) {
    return ops::report_error(Error{{},
                                   0,
                                   "run " + id + " has no report note on smartspec/" + id + " (" +
                                       std::string(kNotesRef) +
                                       "); it may have been stopped before writing one"});
  }
  std::fputs(note->c_str(), stdout);
  if (!note->empty() && note->back() != '\n') std::fputc('\n', stdout);
  return to_int(Exit::kOk);
}

}  // namespace smartspec::engine
