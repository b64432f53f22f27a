// `smartspec-batch verify TASKS [--repo-root DIR] [--rev REV] [--json] [--out DIR]`:
// the native evidence verifier, against the working tree or a commit's tree
// read straight from the object database.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::cli {

namespace {

namespace fs = std::filesystem;

struct VerifyArgs {
  std::string tasks;
  std::string rev;
  std::string out;
  bool python_compat = false;
};

int error_exit(const Error& e) { return usage_error(e.to_string()); }

// `path` relative to `root` when it lies inside it (lexically, after making
// both absolute and canonical as far as they exist).
std::optional<std::string> inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(root, ec), ec);
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  fs::path rel = p.lexically_relative(r);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return rel.generic_string();
}

void print_human(const verify::Summary& s, const std::string& saved) {
  int total = s.totals.tasks;
  int pct = total > 0 ? s.totals.verified * 100 / total : 0;
  std::printf("Verified %d/%d tasks (%d%%); %d not verified; %d marked [x] but not verified\n",
              s.totals.verified, total, pct, s.totals.not_verified,
              s.totals.marked_done_but_failed);
  for (const auto& t : s.tasks) {
    if (t.verified) continue;
    std::printf("❌ %s (%s, priority %d): %s\n", t.id.c_str(), t.category.c_str(), t.priority,
                t.title.c_str());
  }
  if (!saved.empty()) std::printf("Report saved to %s\n", saved.c_str());
}

int run_verify(const VerifyArgs& args, const engine::CommonOptions& common) {
  // The root: --repo-root, else the work tree containing the cwd, else the cwd.
  std::optional<git::Repository> repo;
  git::OpenOptions open;
  open.repo_root = common.repo_root;
  auto opened = git::Repository::open(open);
  if (opened) repo.emplace(std::move(*opened));
  std::string root = common.repo_root;
  if (root.empty()) {
    root = (repo && !repo->is_bare()) ? repo->workdir() : fs::current_path().string();
  }
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return error_exit(Error{root, 0, "no such directory"});

  TasksDoc doc;
  std::unique_ptr<verify::FileSource> source;
  std::string oid;
  if (!args.rev.empty()) {
    if (!repo) return error_exit(opened.error());
    auto commit = repo->resolve_commit(args.rev);
    if (!commit) return error_exit(commit.error());
    oid = *commit;
    source = git::tree_source(*repo, oid);
    // TASKS inside the repository is read from the same commit.
    auto rel = repo->is_bare() ? std::nullopt : inside(repo->workdir(), args.tasks);
    if (rel) {
      auto bytes = source->read(*rel, std::size_t{256} << 20);
      if (!bytes) {
        return error_exit(Error{args.tasks, 0, "no such file in " + args.rev});
      }
      auto parsed = tasks::parse(*bytes, args.tasks, tasks::ParseOptions{args.python_compat});
      if (!parsed) return error_exit(parsed.error());
      doc = std::move(*parsed);
    }
  }
  if (doc.path.empty()) {
    auto loaded = tasks::load(args.tasks, tasks::ParseOptions{args.python_compat});
    if (!loaded) return error_exit(loaded.error());
    doc = std::move(*loaded);
  }
  if (!source) source = std::make_unique<verify::DirSource>(root, args.python_compat);

  for (const auto& w : doc.warnings) spdlog::warn("{}:{}: {}", w.file, w.line, w.message);
  verify::Options vopt;
  vopt.python_compat = args.python_compat;
  verify::Summary summary = verify::verify(doc, *source, vopt);
  verify::RunInfo info = verify::run_info_now(args.tasks);
  info.repo_root = root;
  info.rev = oid;
  info.warnings = doc.warnings;

  std::string saved;
  if (!args.out.empty()) {
    fs::path dir = fs::path(args.out) / info.run_id;
    fs::create_directories(dir, ec);
    if (ec) return error_exit(Error{dir.string(), 0, "cannot create: " + ec.message()});
    auto json_ok =
        text::write_file_atomic((dir / "summary.json").string(), verify::to_json(summary, info));
    if (!json_ok) return error_exit(json_ok.error());
    auto md_ok =
        text::write_file_atomic((dir / "report.md").string(), verify::to_markdown(summary, info));
    if (!md_ok) return error_exit(md_ok.error());
    saved = (dir / "report.md").string();
  }
  if (common.json) {
    std::fputs(verify::to_json(summary, info).c_str(), stdout);
  } else {
    print_human(summary, saved);
  }
  return summary.totals.verified == summary.totals.tasks ? 0 : 1;
}

}  // namespace

void register_verify(CLI::App& app, Context& ctx) {
  static VerifyArgs args;
  auto* cmd = app.add_subcommand(
      "verify", "Check tasks.md evidence against the working tree or a commit (--rev)");
  add_common_flags(*cmd, ctx);
  cmd->add_option("TASKS", args.tasks, "The project's tasks.md")->required();
  cmd->add_option("--rev", args.rev, "Verify this commit's tree (no checkout)");
  cmd->add_option("--out", args.out, "Write <DIR>/<run_id>/summary.json and report.md");
  cmd->add_flag(
      "--python-compat", args.python_compat,
      "Exactly SmartSpec's Python verdicts, its bugs included (README: Deliberate differences)");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    ctx.exit_code = run_verify(args, ctx.common);
  });
}

}  // namespace smartspec::cli
