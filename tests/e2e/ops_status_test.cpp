// `status` and `show` on real runs of the inventory example.
#include <simdjson.h>

#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

std::string short_rev(const std::string& repo, const std::string& r) {
  return git(repo, {"rev-parse", "--short=7", r});
}

TEST(OpsStatus, ListsAFinishedRun) {
  TempDir dir;
  std::string repo = finished_run(dir);
  CmdResult r = run_tool({"status"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "RUN              STATE     BASE     TIP      UNITS  FAILURES\n" + kRun +
                       "  finished  " + short_rev(repo, "main") + "  " + short_rev(repo, kBranch) +
                       "  5/5    0\n");

  CmdResult j = run_tool({"status", "--json"}, repo);
  ASSERT_EQ(j.exit_code, 0) << j.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(j.out).get(doc));
  simdjson::dom::array runs;
  ASSERT_FALSE(doc["runs"].get_array().get(runs));
  ASSERT_EQ(runs.size(), 1u);
  auto run0 = runs.at(0);
  EXPECT_EQ(std::string_view(run0["run_id"]), kRun);
  EXPECT_EQ(std::string_view(run0["state"]), "finished");
  EXPECT_EQ(std::string_view(run0["base"]), rev(repo, "main"));
  EXPECT_EQ(std::string_view(run0["tip"]), rev(repo, kBranch));
  EXPECT_EQ(int64_t(run0["units_done"]), 5);
  EXPECT_EQ(int64_t(run0["units_total"]), 5);
}

TEST(OpsStatus, DetailsOfAFinishedRun) {
  TempDir dir;
  std::string repo = finished_run(dir);
  CmdResult r = run_tool({"status", kRun}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string tip = short_rev(repo, kBranch);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n') + 1), "run " + kRun + ": finished\n");
  for (std::string unit :
       {"not_implemented", "missing_code", "symbol_issue", "content_issue", "naming_issue"}) {
    std::string commit = short_rev(repo, ":/smartspec\\(" + unit + "\\)");
    EXPECT_NE(r.out.find(unit + std::string(18 - unit.size() - 2, ' ') + " committed " + commit),
              std::string::npos)
        << unit << "\n"
        << r.out;
  }
  EXPECT_NE(r.out.find("  branch      refs/heads/" + kBranch + " " + tip + "\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("  checkpoint  refs/smartspec/checkpoints/" + kRun + " " + tip + "\n"),
            std::string::npos);
  // The scratch worktree is kept for the next run.
  EXPECT_NE(r.out.find("  worktree    " + scratch_path(repo) + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  resume      nothing: the run is finished\n"), std::string::npos);
}

TEST(OpsStatus, StoppedRunSaysWhereAndWhatResumeDoes) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  CmdResult r = run_tool({"status"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(kRun + "  stopped at missing_code  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  1/5    1\n"), std::string::npos) << r.out;

  CmdResult d = run_tool({"status", kRun, "--json"}, repo);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(d.out).get(doc));
  // The run has a one-word state (and where it stopped); units and tasks a status.
  EXPECT_EQ(std::string_view(doc["state"]), "stopped");
  EXPECT_EQ(std::string_view(doc["stopped_at"]), "missing_code");
  EXPECT_TRUE(doc["status"].error() == simdjson::NO_SUCH_FIELD) << d.out;
  EXPECT_EQ(std::string_view(doc["next_unit"]), "missing_code");
  EXPECT_EQ(std::string_view(doc["resume"]),
            "`smartspec-batch run --prompts-dir " + (dir.path() / "badpacks" / kRun).string() +
                " --tasks tasks.md --max-failures 1 --resume` continues at unit missing_code");
  simdjson::dom::array failed;
  ASSERT_FALSE(doc["refs"]["failed"].get_array().get(failed));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(std::string_view(failed.at(0)["ref"]),
            "refs/smartspec/failed/" + kRun + "/missing_code");
  EXPECT_EQ(std::string_view(failed.at(0)["commit"]),
            rev(repo, "refs/smartspec/failed/" + kRun + "/missing_code"));
  // The scratch worktree is kept for the resume and named.
  std::string worktree(doc["worktree"]["path"]);
  EXPECT_EQ(worktree, scratch_path(repo));
  EXPECT_TRUE(fs::exists(worktree + "/.git"));
  simdjson::dom::array units;
  ASSERT_FALSE(doc["units"].get_array().get(units));
  std::vector<std::string> statuses;
  for (auto u : units) statuses.emplace_back(std::string_view(u["status"]));
  EXPECT_EQ(statuses, (std::vector<std::string>{"committed", "rolled_back", "pending", "pending",
                                                "pending"}));
  simdjson::dom::array tasks;
  ASSERT_FALSE(units.at(1)["tasks"].get_array().get(tasks));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(std::string_view(tasks.at(0)["status"]), "failed");
}

TEST(OpsShow, PrintsTheNoteAndTheJson) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string note = git(repo, {"notes", "--ref=smartspec", "show", kBranch});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show"}, std::vector<std::string>{"show", kRun}}) {
    CmdResult r = run_tool(args, repo);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, note + "\n");
  }
  CmdResult j = run_tool({"show", "--json"}, repo);
  ASSERT_EQ(j.exit_code, 0) << j.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(j.out).get(doc));
  EXPECT_EQ(std::string_view(doc["run_id"]), kRun);
  EXPECT_EQ(std::string_view(doc["tip"]), rev(repo, kBranch));
}

TEST(OpsShow, StoppedRunHasItsReportToo) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  CmdResult r = run_tool({"show", kRun}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, git(repo, {"notes", "--ref=smartspec", "show", kBranch}) + "\n");
}

TEST(OpsShow, UnknownRunIsAnError) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  CmdResult r = run_tool({"show", "nope"}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "smartspec-batch: error: no run nope in this repository (see `smartspec-batch "
            "status`)\n");
  CmdResult latest = run_tool({"show"}, repo);
  EXPECT_EQ(latest.exit_code, 2);
  EXPECT_EQ(latest.err, "smartspec-batch: error: no runs in this repository\n");
  CmdResult s = run_tool({"status"}, repo);
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.out, "no runs in this repository\n");
}

}  // namespace
}  // namespace smartspec::test
