// The engine in-process, through its ports (no binary started): a unit
// commits, a task fails, the failure budget stops the run, a crash at every
// numbered step resumes to the uninterrupted result, an interrupt during a
// task rolls its unit back and stops the run, and every way out of a unit that
// is not its commit goes through the one rollback (failed/ ref saved, scratch
// worktree restored).
#include <gtest/gtest.h>

#include <stdexcept>

#include "engine/engine_test_util.hpp"

namespace smartspec::engine::testing {
namespace {

namespace fs = std::filesystem;

const report::TaskReport* result_of(const RunState& s, const std::string& id) {
  for (const auto& [unit, t] : s.results)
    if (t.id == id) return &t;
  return nullptr;
}

// The uninterrupted run's result (computed once).
struct Reference {
  std::string tree, messages, first_unit_tree;
  long steps = 0;
};
const Reference& reference() {
  static const Reference ref = [] {
    Harness h;
    Reference r;
    EXPECT_EQ(h.run(), 0);
    r.tree = h.tree(h.branch());
    r.messages = h.messages();
    r.first_unit_tree =
        h.tree(h.git({"rev-list", "--reverse", "HEAD.." + h.branch()}).substr(0, 40));
    r.steps = h.crash->steps();
    return r;
  }();
  return ref;
}

TEST(EngineInProcess, EveryUnitCommitsAndTheStateIsFinished) {
  Harness h;
  ASSERT_EQ(h.run(), 0);
  EXPECT_EQ(h.git({"rev-list", "--count", "HEAD.." + h.branch()}), "5");
  EXPECT_EQ(h.git({"show", h.branch() + ":docs/configuration.md"}),
            "# Configuration\n\nSet `INVENTORY_DB` to the database URL.");
  EXPECT_EQ(h.git({"rev-parse", "refs/smartspec/checkpoints/20251226_083000"}),
            h.git({"rev-parse", h.branch()}));
  RunState s = h.state();
  EXPECT_EQ(s.status, "finished");
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.completed.size(), 5u);
  EXPECT_EQ(s.updated, "2026-01-01T00:00:00+00:00");  // the fixed clock, through the port
  EXPECT_EQ(h.git({"for-each-ref", "refs/smartspec/failed/"}), "");
  // The rename check asked for `git grep` through the process port.
  bool grep = false;
  for (const auto& c : h.processes->calls)
    grep = grep || (c.argv.size() > 3 && c.argv[3] == "grep");
  EXPECT_TRUE(grep);
}

// The plan's unit order: not_implemented, missing_code, symbol_issue,
// content_issue, naming_issue.

// A file in the way of the missing_code task: the task is refused (a
// failure), its unit
// commits nothing of it, the run goes on (budget 3) and exits 1.
struct Blocked : Harness {
  Blocked() {
    test::write(fs::path(repo) / "src/inventory/reports.py", "# someone else's report\n");
    git({"add", "src/inventory/reports.py"});
    git({"commit", "-q", "-m", "a different reports.py"});
  }
};

TEST(EngineInProcess, AFailedTaskFailsAloneWithinTheBudget) {
  Blocked h;
  EXPECT_EQ(h.run(), 1);
  RunState s = h.state();
  const auto* t = result_of(s, "TSK-INV-005");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->status, report::TaskStatus::kRefused);
  EXPECT_EQ(s.failures, 1);
  EXPECT_EQ(h.git({"show", h.branch() + ":src/inventory/reports.py"}), "# someone else's report");
  EXPECT_EQ(s.completed.size(), 5u);
  EXPECT_EQ(h.git({"for-each-ref", "--format=%(refname)", "refs/smartspec/failed/"}), "");
}

TEST(EngineInProcess, TheFailureBudgetRollsTheUnitBackAndStopsTheRun) {
  Blocked h;
  h.opts.max_failures = 1;
  EXPECT_EQ(h.run(), 3);
  RunState s = h.state();
  EXPECT_EQ(s.status, "stopped");
  EXPECT_EQ(s.stopped_at, "missing_code");
  EXPECT_NE(s.reason.find("failure budget exhausted"), std::string::npos) << s.reason;
  // The units before it committed; it and the rest did not.
  EXPECT_EQ(h.git({"log", "--format=%s", "HEAD.." + h.branch()}),
            "smartspec(not_implemented): 2 tasks");
  // The one rollback: its failed/ ref on top of the checkpoint.
  const std::string failed = "refs/smartspec/failed/20251226_083000/missing_code";
  EXPECT_EQ(h.git({"rev-parse", failed + "^"}), h.git({"rev-parse", h.branch()}));
  EXPECT_NE(h.git({"log", "-1", "--format=%B", failed}).find("failure budget exhausted"),
            std::string::npos);
}

// Every way out of a unit that is not its commit saves the failed/ ref and
// restores the scratch worktree: a failing --verify-cmd, and an error of the
// tool itself (here an exception from the process port).
class Rollback : public ::testing::TestWithParam<bool> {};

TEST_P(Rollback, SavesTheFailedRefAndRestoresTheScratch) {
  const bool as_error = GetParam();
  Harness h;
  h.opts.verify_cmd = "true";  // found in PATH; answered by the fake below
  h.processes->fake = [as_error](const exec::ProcSpec& spec, exec::ProcResult& r) {
    if (spec.argv.empty() || spec.argv[0] != "true") return false;
    if (as_error) throw std::runtime_error("the disk is gone");
    r.exit_code = 1;
    r.output = "1 test failed\n";
    return true;
  };
  EXPECT_EQ(h.run(), 3);
  RunState s = h.state();
  EXPECT_EQ(s.stopped_at, "not_implemented");
  EXPECT_EQ(s.reason,
            as_error ? "unexpected error: the disk is gone" : "--verify-cmd exited with 1");
  EXPECT_EQ(h.git({"rev-parse", h.branch()}), h.git({"rev-parse", "HEAD"}));  // nothing landed
  // The partial work is the tree the unit would have committed.
  const std::string failed = "refs/smartspec/failed/20251226_083000/not_implemented";
  EXPECT_EQ(h.tree(failed), reference().first_unit_tree);
  EXPECT_EQ(h.git({"rev-parse", failed + "^"}), h.git({"rev-parse", "HEAD"}));
  // The scratch worktree is back at the checkpoint for every path it changed.
  const std::string scratch = test::scratch_path(h.repo);
  EXPECT_EQ(test::read(fs::path(scratch) / "tasks.md"),
            test::sh("git show HEAD:tasks.md", h.repo).out);
  const std::string changed = h.git({"diff", "--name-only", "HEAD", failed});
  EXPECT_NE(changed.find("src/inventory/suppliers.py"), std::string::npos) << changed;
  for (const auto& path :
       {"docs/configuration.md", "src/inventory/suppliers.py", "tests/test_suppliers.py"})
    EXPECT_FALSE(fs::exists(fs::path(scratch) / path)) << path;
}

INSTANTIATE_TEST_SUITE_P(VerifyCmdFailsOrErrors, Rollback, ::testing::Bool());

TEST(EngineInProcess, AResumeAfterAStopEndsWithTheUninterruptedResult) {
  Harness h;
  h.opts.verify_cmd = "true";
  int calls = 0;
  h.processes->fake = [&calls](const exec::ProcSpec& spec, exec::ProcResult& r) {
    if (spec.argv.empty() || spec.argv[0] != "true") return false;
    r.exit_code = ++calls == 2 ? 1 : 0;  // the second unit's check fails once
    return true;
  };
  EXPECT_EQ(h.run(), 3);
  EXPECT_EQ(h.state().stopped_at, "missing_code");
  EXPECT_EQ(h.resume(), 0);
  EXPECT_EQ(h.tree(h.branch()), reference().tree);
  EXPECT_EQ(h.messages(), reference().messages);
  EXPECT_EQ(h.state().status, "finished");
}

// SIGINT while a task runs (the interrupt port, raised once the unit's first
// task has written its file): the unit's next task does not run, the unit
// rolls back through the one rollback (its first task's work kept under
// failed/ on top of the checkpoint, the scratch restored), the run stops with
// exit 3, and a resume ends with the uninterrupted result.
TEST(EngineInProcess, AnInterruptDuringATaskRollsTheUnitBackAndAResumeFinishesIt) {
  Harness h;
  const fs::path scratch = test::scratch_path(h.repo);
  // not_implemented's two tasks: TSK-INV-010 writes docs/configuration.md,
  // TSK-INV-003 src/inventory/suppliers.py (and its test).
  const std::vector<std::string> firsts = {"docs/configuration.md", "src/inventory/suppliers.py"};
  h.interrupt->when = [&] {
    for (const auto& f : firsts)
      if (fs::exists(scratch / f)) return true;
    return false;
  };
  EXPECT_EQ(h.run(), 3);
  EXPECT_TRUE(h.interrupt->requested());
  RunState s = h.state();
  EXPECT_EQ(s.status, "stopped");
  EXPECT_EQ(s.stopped_at, "not_implemented");
  EXPECT_NE(s.reason.find("interrupted"), std::string::npos) << s.reason;
  EXPECT_TRUE(s.completed.empty());
  EXPECT_EQ(h.git({"rev-parse", h.branch()}), h.git({"rev-parse", "HEAD"}));  // nothing landed
  // The one rollback: the first task's work under failed/, on top of the
  // checkpoint, without the second task's.
  const std::string failed = "refs/smartspec/failed/20251226_083000/not_implemented";
  EXPECT_EQ(h.git({"rev-parse", failed + "^"}), h.git({"rev-parse", "HEAD"}));
  EXPECT_NE(h.git({"log", "-1", "--format=%B", failed}).find("interrupted"), std::string::npos);
  const std::string changed = h.git({"diff", "--name-only", "HEAD", failed});
  int written = 0;
  for (const auto& f : firsts) written += changed.find(f) != std::string::npos ? 1 : 0;
  EXPECT_EQ(written, 1) << changed;
  EXPECT_NE(h.tree(failed), reference().first_unit_tree);
  // The scratch worktree is back at the checkpoint.
  for (const auto& f : firsts) EXPECT_FALSE(fs::exists(scratch / f)) << f;
  // Only the other units' refs: no unit after it ran.
  EXPECT_EQ(h.git({"for-each-ref", "--format=%(refname)", "refs/smartspec/failed/"}), failed);

  EXPECT_EQ(h.resume(), 0);
  EXPECT_EQ(h.tree(h.branch()), reference().tree);
  EXPECT_EQ(h.messages(), reference().messages);
  EXPECT_EQ(h.state().status, "finished");
}

// A crash (the port throws, nothing else runs — as a SIGKILL) at every
// numbered step, then a resume in the same process: the final tree and the
// commit messages equal the uninterrupted run's.
TEST(EngineInProcess, ACrashAtEveryStepResumesToTheUninterruptedResult) {
  const Reference& ref = reference();
  ASSERT_GT(ref.steps, 10);
  RecordProperty("crash_steps", static_cast<int>(ref.steps));
  for (long n = 1; n <= ref.steps; ++n) {
    SCOPED_TRACE("crash at step " + std::to_string(n));
    Harness h;
    h.crash = std::make_shared<CrashAt>(n);
    EXPECT_THROW(h.run(), SimulatedCrash);
    const bool started = !h.git({"for-each-ref", "refs/smartspec/runs/"}).empty();
    int rc = started ? h.resume() : (h.crash = std::make_shared<CrashAt>(), h.run());
    ASSERT_EQ(rc, 0);
    EXPECT_EQ(h.tree(h.branch()), ref.tree);
    EXPECT_EQ(h.messages(), ref.messages);
    EXPECT_EQ(h.state().status, "finished");
  }
}

}  // namespace
}  // namespace smartspec::engine::testing
