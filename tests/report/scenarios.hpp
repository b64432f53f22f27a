// The four run scenarios of issue 6, as RunReport values with fixed times,
// ids and commits, shared by the golden, JSON and console tests.
#pragma once

#include <string>

#include "smartspec/report/report.hpp"

namespace smartspec::report::test {

inline const std::string kBase = "1111111111111111111111111111111111111111";
inline const std::string kCommitA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
inline const std::string kCommitB = "b2c3d4e5f60718293a4b5c6d7e8f901234567890";
inline const std::string kCommitC = "c3d4e5f60718293a4b5c6d7e8f90123456789012";

inline TaskReport task(std::string id, std::string title, TaskStatus status) {
  TaskReport t;
  t.id = std::move(id);
  t.title = std::move(title);
  t.status = status;
  return t;
}

inline UnitReport unit(Unit u, UnitStatus status, std::string commit = "") {
  UnitReport r;
  r.unit = u;
  r.priority = unit_priority(u);
  r.status = status;
  r.commit = std::move(commit);
  return r;
}

inline RunReport base_run() {
  RunReport r;
  r.run_id = "20260101_100000";
  r.branch = "smartspec/20260101_100000";
  r.base = kBase;
  r.pack_digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  r.prompts_dir = ".spec/prompts/20260101_100000";
  r.tasks_path = "tasks.md";
  r.started = "2026-01-01T10:00:00+01:00";
  r.completed = "2026-01-01T10:02:05+01:00";
  r.duration_seconds = 125.25;
  r.report_md_path = ".spec/reports/batch_execution_20260101_100205.md";
  r.report_json_path = ".spec/reports/batch_execution_20260101_100205.json";
  return r;
}

// Every task succeeded; three units committed; verification before and after.
inline RunReport all_succeeded() {
  RunReport r = base_run();
  UnitReport critical = unit(Unit::kCritical, UnitStatus::kCommitted, kCommitA);
  TaskReport t = task("TSK-INV-003", "Stock reservation", TaskStatus::kVerified);
  t.files_modified = {"src/inventory/stock_service.py"};
  t.duration_ms = 12;
  critical.tasks.push_back(t);

  UnitReport ni = unit(Unit::kNotImplemented, UnitStatus::kCommitted, kCommitB);
  t = task("TSK-INV-004", "Pricing rules", TaskStatus::kVerified);
  t.files_created = {"src/inventory/pricing_rules.py", "tests/test_pricing_rules.py"};
  t.duration_ms = 31;
  ni.tasks.push_back(t);
  t = task("TSK-INV-005", "Supplier registry", TaskStatus::kVerified);
  t.files_created = {"src/inventory/suppliers.py"};
  t.notes = {"evidence hooks added to tasks.md"};
  t.duration_ms = 18;
  ni.tasks.push_back(t);

  UnitReport naming = unit(Unit::kNamingIssue, UnitStatus::kCommitted, kCommitC);
  t = task("TSK-INV-008", "Stock services module", TaskStatus::kVerified);
  t.files_renamed = {{"src/inventory/stock_service.py", "src/inventory/stock_services.py"}};
  t.duration_ms = 4;
  naming.tasks.push_back(t);

  r.units = {critical, ni, naming};
  r.tip = kCommitC;
  r.before = VerifyFigures{12, 2, 10};
  r.after = VerifyFigures{12, 6, 6};
  r.exit_code = 0;
  return r;
}

// Two tasks failed, one needs an agent and one was applied but its evidence
// does not verify, within the failure budget: the run finished (exit 1).
inline RunReport failures_within_budget() {
  RunReport r = base_run();
  UnitReport ni = unit(Unit::kNotImplemented, UnitStatus::kCommitted, kCommitA);
  TaskReport t = task("TSK-INV-004", "Pricing rules", TaskStatus::kVerified);
  t.files_created = {"src/inventory/pricing_rules.py"};
  ni.tasks.push_back(t);
  t = task("TSK-INV-005", "Supplier registry", TaskStatus::kFailed);
  t.error = "SyntaxError: invalid syntax";
  t.file = "src/inventory/suppliers.py";
  t.line = 14;
  t.suggested_fix = "Create src/inventory/suppliers.py with class SupplierRegistry";
  t.duration_ms = 40;
  ni.tasks.push_back(t);
  t = task("TSK-INV-010", "Configuration guide", TaskStatus::kNeedsAgent);
  t.error = "nothing to apply: the pack's fences are empty";
  ni.tasks.push_back(t);
  t = task("TSK-INV-011", "Dashboard mount point", TaskStatus::kAppliedUnverified);
  t.has_evidence = true;
  t.files_modified = {"web/index.html"};
  t.error = "evidence not verified: web/index.html: selector not found";
  ni.tasks.push_back(t);

  UnitReport sym = unit(Unit::kSymbolIssue, UnitStatus::kNothingToCommit);
  t = task("TSK-INV-006", "Discount calculation", TaskStatus::kFailed);
  t.error = "symbol `apply_discount` still missing after the snippet was added";
  t.suggested_fix = "Add function apply_discount to src/inventory/pricing.py";
  sym.tasks.push_back(t);

  r.units = {ni, sym};
  r.tip = kCommitA;
  r.before = VerifyFigures{12, 2, 10};
  r.after = VerifyFigures{12, 3, 9};
  r.warnings = {"meta/summary.json: counts 13 tasks, the pack holds 12"};
  r.exit_code = 1;
  return r;
}

// A unit failed --verify-cmd and was rolled back; the run stopped (exit 3).
inline RunReport rolled_back() {
  RunReport r = base_run();
  UnitReport critical = unit(Unit::kCritical, UnitStatus::kCommitted, kCommitA);
  TaskReport t = task("TSK-INV-003", "Stock reservation", TaskStatus::kVerified);
  t.files_modified = {"src/inventory/stock_service.py"};
  critical.tasks.push_back(t);

  UnitReport sym = unit(Unit::kSymbolIssue, UnitStatus::kRolledBack);
  sym.reason = "--verify-cmd exited with status 1";
  sym.failed_ref = "refs/smartspec/failed/20260101_100000/symbol_issue";
  sym.verify_cmd_output =
      "FAILED tests/test_pricing.py::test_discount - AssertionError\n"
      "1 failed, 4 passed in 0.12s\n";
  t = task("TSK-INV-006", "Discount calculation", TaskStatus::kFailed);
  t.error = "--verify-cmd exited with status 1";
  t.files_modified = {"src/inventory/pricing.py"};
  sym.tasks.push_back(t);

  UnitReport naming = unit(Unit::kNamingIssue, UnitStatus::kNotRun);
  naming.tasks.push_back(task("TSK-INV-008", "Stock services module", TaskStatus::kNotRun));
  naming.tasks.push_back(task("TSK-INV-009", "Report export", TaskStatus::kNotRun));

  r.units = {critical, sym, naming};
  r.tip = kCommitA;
  r.before = VerifyFigures{12, 2, 10};
  r.stopped_reason = "unit symbol_issue failed: --verify-cmd exited with status 1";
  r.exit_code = 3;
  return r;
}

// A stopped run resumed through the `latest` symlink with an agent: the first
// units were committed by the earlier invocation.
inline RunReport resumed() {
  RunReport r = base_run();
  r.prompts_dir = ".spec/prompts/latest";
  r.resumed = true;
  r.mode = "agent";
  r.started = "2026-01-01T11:00:00+01:00";
  r.completed = "2026-01-01T12:05:09+01:00";
  r.duration_seconds = 3909.5;
  r.report_md_path = ".spec/reports/batch_execution_20260101_120509.md";
  r.report_json_path = ".spec/reports/batch_execution_20260101_120509.json";

  UnitReport critical = unit(Unit::kCritical, UnitStatus::kDoneEarlier, kCommitA);
  critical.tasks.push_back(task("TSK-INV-003", "Stock reservation", TaskStatus::kVerified));

  UnitReport mc = unit(Unit::kMissingCode, UnitStatus::kCommitted, kCommitB);
  TaskReport t = task("TSK-INV-007", "Audit trail", TaskStatus::kVerified);
  t.files_created = {"src/inventory/audit_trail.py"};
  t.files_modified = {"src/inventory/audit.py"};
  t.log = ".git/smartspec/logs/20260101_100000/TSK-INV-007.log";
  t.duration_ms = 61234;
  mc.tasks.push_back(t);
  t = task("TSK-INV-001", "Product model", TaskStatus::kAlreadyDone);
  t.notes = {"verified on the base before the run"};
  mc.tasks.push_back(t);

  r.units = {critical, mc};
  r.tip = kCommitB;
  r.before = VerifyFigures{12, 3, 9};
  r.after = VerifyFigures{12, 5, 7};
  r.exit_code = 0;
  return r;
}

}  // namespace smartspec::report::test
