// `verify TASKS [--rev REV] [--task ID] [--checked-only] [--json] [--out DIR]`:
// the native evidence verifier, against the working tree or a commit's tree
// read straight from the object database (docs/DESIGN.md "Verification").
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/agent_prompt.hpp"
#include "engine/ops_common.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

namespace {

namespace fs = std::filesystem;

int error_exit(const Error& e) { return ops::report_error(e); }

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

void print_human(const verify::Summary& s, const std::string& saved, bool checked_only) {
  int total = s.totals.tasks;
  int pct = total > 0 ? s.totals.verified * 100 / total : 0;
  std::printf("Verified %d/%d tasks (%d%%); %d not verified; %d marked [x] but not verified\n",
              s.totals.verified, total, pct, s.totals.not_verified,
              s.totals.marked_done_but_failed);
  for (const auto& t : s.tasks) {
    if (t.verified || (checked_only && !t.checked)) continue;
    std::printf("❌ %s (%s, priority %d): %s\n", t.id.c_str(), t.category.c_str(), t.priority,
                t.title.c_str());
  }
  if (!saved.empty()) std::printf("Report saved to %s\n", saved.c_str());
}

}  // namespace

namespace {

// What `verify` checks: tasks.md (from REV when given and inside the
// repository) and the files to check it against (REV's tree, or the root).
struct VerifyInput {
  TasksDoc doc;
  std::unique_ptr<verify::FileSource> source;
  std::string oid;  // REV's commit, "" for the working tree
};

Result<VerifyInput> verify_input(const VerifyOptions& args, const std::string& root,
                                 const std::optional<git::Repository>& repo,
                                 const Result<git::Repository>& opened) {
  VerifyInput in;
  const tasks::ParseOptions popt{args.python_compat};
  if (!args.rev.empty()) {
    if (!repo) return fail(opened.error());
    TRY(in.oid, repo->resolve_commit(args.rev));
    in.source = git::tree_source(*repo, in.oid);
    // TASKS inside the repository is read from the same commit.
    auto rel = repo->is_bare() ? std::nullopt : inside(repo->workdir(), args.tasks);
    if (rel) {
      auto bytes = in.source->read(*rel, std::size_t{256} << 20);
      if (!bytes) return fail(Error{args.tasks, 0, "no such file in " + args.rev});
      TRY(in.doc, tasks::parse(*bytes, args.tasks, popt));
    }
  }
  if (in.doc.path.empty()) {
    TRY(in.doc, tasks::load(args.tasks, popt));
  }
  if (!in.source) in.source = std::make_unique<verify::DirSource>(root, args.python_compat);
  if (!args.task.empty()) {
    std::erase_if(in.doc.tasks, [&](const TaskLine& t) { return t.id != args.task; });
    if (in.doc.tasks.empty()) return fail(Error{args.tasks, 0, "no task " + args.task});
  }
  return in;
}

// --out DIR: DIR/<run id>/summary.json and report.md; returns report.md's path.
Result<std::string> save_reports(const std::string& out, const verify::Summary& summary,
                                 const verify::RunInfo& info) {
  fs::path dir = fs::path(out) / info.run_id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Error{dir.string(), 0, "cannot create: " + ec.message()});
  TRY_VOID(
      text::write_file_atomic((dir / "summary.json").string(), verify::to_json(summary, info)));
  TRY_VOID(
      text::write_file_atomic((dir / "report.md").string(), verify::to_markdown(summary, info)));
  return (dir / "report.md").string();
}

}  // namespace

int verify_command(const VerifyOptions& args) {
  const CommonOptions& common = args.common;
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
  auto in = verify_input(args, root, repo, opened);
  if (!in) return error_exit(in.error());

  for (const auto& w : in->doc.warnings) spdlog::warn("{}:{}: {}", w.file, w.line, w.message);
  verify::Options vopt;
  vopt.python_compat = args.python_compat;
  verify::Summary summary = verify::verify(in->doc, *in->source, vopt);
  verify::RunInfo info = verify::run_info_now(args.tasks);
  info.repo_root = root;
  info.rev = in->oid;
  info.warnings = in->doc.warnings;

  std::string saved;
  if (!args.out.empty()) {
    auto written = save_reports(args.out, summary, info);
    if (!written) return error_exit(written.error());
    saved = *written;
  }
  if (common.json) {
    std::fputs(verify::to_json(summary, info).c_str(), stdout);
  } else {
    print_human(summary, saved, args.checked_only);
    // One task: what is still missing, as the agent's prompt says it.
    for (const auto& t : summary.tasks) {
      if (args.task.empty() || t.verified) continue;
      for (const auto& c : t.checks)
        if (!c.ok) std::printf("   - %s\n", describe_missing(c).c_str());
    }
  }
  if (args.checked_only)
    return summary.totals.marked_done_but_failed == 0 ? to_int(Exit::kOk)
                                                      : to_int(Exit::kTasksFailed);
  return summary.totals.verified == summary.totals.tasks ? to_int(Exit::kOk)
                                                         : to_int(Exit::kTasksFailed);
}

}  // namespace smartspec::engine
