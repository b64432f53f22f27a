// `smartspec-batch verify TASKS [--repo-root DIR] [--rev REV] [--task ID] [--json] [--out DIR]`:
// the native evidence verifier, against the working tree or a commit's tree
// read straight from the object database.
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_verify(CLI::App& app, Context& ctx) {
  static engine::VerifyOptions args;
  auto* cmd = app.add_subcommand(
      "verify", "Check tasks.md evidence against the working tree or a commit (--rev)");
  add_common_flags(*cmd, ctx);
  cmd->add_option("TASKS", args.tasks, "The project's tasks.md")->required();
  cmd->add_option("--rev", args.rev, "Verify this commit's tree (no checkout)")->type_name("REV");
  cmd->add_option("--task", args.task, "Only this task id (exit 0 iff it verifies)")
      ->type_name("ID");
  cmd->add_option("--out", args.out, "Write <DIR>/<run_id>/summary.json and report.md")
      ->type_name("DIR");
  cmd->add_flag("--checked-only", args.checked_only,
                "Exit 1 only when a task marked [x] fails verification (for hooks)");
  cmd->add_flag("--python-compat", args.python_compat,
                "Exactly SmartSpec's Python verdicts, its bugs included (docs/verify.md: "
                "Deliberate differences)");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    args.common = ctx.common;
    ctx.exit_code = engine::verify_command(args);
  });
}

}  // namespace smartspec::cli
