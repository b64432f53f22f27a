#include "engine/inputs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "smartspec/exec/interpreter.hpp"
#include "smartspec/pack/pack.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

RunRefs::RunRefs(const std::string& id)
    : branch("refs/heads/smartspec/" + id),
      checkpoint("refs/smartspec/checkpoints/" + id),
      state("refs/smartspec/runs/" + id),
      failed_prefix("refs/smartspec/failed/" + id + "/"),
      undo_prefix("refs/smartspec/undo/" + id + "/"),
      tasks_prefix("refs/smartspec/tasks/" + id + "/") {}

std::string pack_digest(const Pack& pack) {
  std::string all;
  for (const auto& [name, bytes] : pack.contents) {
    all += name;
    all += '\0';
    all += std::to_string(bytes.size());
    all += '\0';
    all += bytes;
  }
  return git::Repository::hash(all);
}

namespace {

// A run id becomes part of ref names: keep it to what git accepts.
Result<void> check_run_id(const std::string& id) {
  if (id.empty() || id.size() > 200) return fail("invalid run id '" + id + "'");
  for (char c : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) return fail("invalid run id '" + id + "' (use letters, digits, '_', '-', '.')");
  }
  if (id.front() == '.' || id.find("..") != std::string::npos || id.ends_with(".lock") ||
      id.back() == '.')
    return fail("invalid run id '" + id + "'");
  return {};
}

// naming_issue: the real prompter's template recommends option A (update the
// evidence path to the similar file "if the similar file is the correct
// implementation"), but its engine leaves "Similar Files Found" and
// "Suggestions from Report" empty, so the pack names no file. For a naming task
// whose pack section names none, the verifier's own suggestion on the base tree
// stands in (the first similar file of a missing evidence path, "→ Update
// evidence path to: X"), and only when that evidence verifies on that file: a
// fuzzy name match alone (test_reports.py for test_pricing_rules.py) is no target.
void add_verifier_similar_files(Pack& pack, const TasksDoc& tasks, verify::FileSource& source) {
  std::unordered_set<std::string> ids;
  for (const auto& pt : pack.tasks)
    if (pt.category == Unit::kNamingIssue && pt.similar_files.empty()) ids.insert(pt.id);
  if (ids.empty()) return;
  TasksDoc wanted = tasks;
  std::erase_if(wanted.tasks, [&](const TaskLine& t) { return ids.count(t.id) == 0; });
  if (wanted.tasks.empty()) return;
  // Pass 1: the similar file of each missing evidence path (by its tasks.md line).
  verify::Summary first = verify::verify(wanted, source);
  std::unordered_map<int, std::string> similar_at;
  for (const auto& r : first.tasks)
    for (const auto& c : r.checks)
      if (!c.ok && !c.exists && !c.similar.empty())
        similar_at[c.evidence.line] = c.similar.front().path;
  if (similar_at.empty()) return;
  // Pass 2: the same evidence on the similar file.
  for (auto& t : wanted.tasks)
    for (auto& e : t.evidence)
      if (auto it = similar_at.find(e.line); it != similar_at.end())
        for (auto& [k, v] : e.fields)
          if (k == "path") v = it->second;
  verify::Summary second = verify::verify(wanted, source);
  for (auto& pt : pack.tasks) {
    if (pt.category != Unit::kNamingIssue || !pt.similar_files.empty()) continue;
    const verify::TaskResult* r = second.find(pt.id);
    if (r == nullptr) continue;
    for (const auto& c : r->checks) {
      auto it = similar_at.find(c.evidence.line);
      if (it == similar_at.end() || !c.ok) continue;
      if (std::find(pt.similar_files.begin(), pt.similar_files.end(), it->second) ==
          pt.similar_files.end())
        pt.similar_files.push_back(it->second);
    }
  }
}

}  // namespace

namespace {

// tasks.md relative to the repository root, when inside it ("" otherwise).
std::string tasks_relative(const std::string& tasks, const git::Repository& repo) {
  std::error_code ec;
  fs::path tasks_abs = fs::weakly_canonical(fs::absolute(tasks), ec);
  fs::path root = fs::weakly_canonical(repo.workdir(), ec);
  auto rel = tasks_abs.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return {};
}

// Whether a path exists in the base tree. Looking each path up from the root
// tree costs a tree walk per file (90% of planning a 10,000-task pack); list
// each directory once instead.
plan::ExistsFn exists_in(const git::Repository& repo, const std::string& base_id) {
  std::shared_ptr<verify::FileSource> source = git::tree_source(repo, base_id);
  auto listings =
      std::make_shared<std::unordered_map<std::string, std::unordered_set<std::string>>>();
  return [source, listings](const std::string& p) {
    auto slash = p.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : p.substr(0, slash);
    std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
    auto it = listings->find(dir);
    if (it == listings->end()) {
      std::unordered_set<std::string> names;
      for (const auto& e : source->list(dir)) names.insert(e.name);
      it = listings->emplace(dir, std::move(names)).first;
    }
    return it->second.count(name) > 0;
  };
}

// What the repository refuses (issue 15 item 6): a path inside a submodule
// (the unit's tree would replace the gitlink by a directory) or the gitlink
// itself, and a file under filter=lfs (its content would be committed raw:
// git-lfs's clean filter is not run). `repo` must outlive the function.
plan::RefuseFn refusal_rule(const git::Repository& repo, const std::string& base_id) {
  auto gitlinks = std::make_shared<std::unordered_map<std::string, bool>>();
  auto is_gitlink = [&repo, base_id, gitlinks](const std::string& p) {
    auto it = gitlinks->find(p);
    if (it == gitlinks->end()) {
      bool link = repo.entry(base_id, p).kind == git::Repository::Kind::kSubmodule;
      it = gitlinks->emplace(p, link).first;
    }
    return it->second;
  };
  return [&repo, base_id, is_gitlink](const std::string& raw) -> std::string {
    std::string p;  // "./a//b" → "a/b" (the lexical rule has accepted it)
    for (std::size_t start = 0; start <= raw.size();) {
      std::size_t slash = raw.find('/', start);
      std::string part =
          raw.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (!part.empty() && part != ".") p += (p.empty() ? "" : "/") + part;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    for (std::size_t slash = p.find('/'); slash != std::string::npos;
         slash = p.find('/', slash + 1)) {
      if (is_gitlink(p.substr(0, slash)))
        return "path inside submodule " + p.substr(0, slash) + " refused";
    }
    if (is_gitlink(p)) return "path is a submodule refused";
    if (repo.is_lfs(base_id, p)) {
      return "filter=lfs path refused (smartspec-batch does not run git-lfs's clean filter; add it "
             "with git lfs)";
    }
    return {};
  };
}

}  // namespace

void mark_evidence_updates(plan::Plan& plan, const Pack& pack, const RunOptions& opts) {
  for (auto& u : plan.units) {
    for (auto& t : u.tasks) {
      t.evidence_update =
          t.category == Unit::kNamingIssue && !opts.rename_files &&
          text::to_lower(pack.tasks[t.pack_index].raw).find("update evidence") != std::string::npos;
    }
  }
}

Result<Inputs> load_inputs(const RunOptions& opts, const std::string& base_override) {
  TRY(Pack pack, pack::load(opts.prompts_dir));
  TRY(TasksDoc tasks, tasks::load(opts.tasks));
  spdlog::debug("pack and tasks.md read");
  TRY(git::Repository repo, git::Repository::open({opts.common.repo_root, true}));
  spdlog::debug("repository opened");
  if (repo.is_bare()) return fail("the repository is bare: run inside a working tree");
  // The syntax checker's `python3` is the project's: resolved in its working
  // tree, a version-manager shim's answer remembered per repository.
  exec::set_default_python_home(
      {repo.workdir(), repo.common_dir() + "/smartspec/python3-interpreter"});

  std::string run_id = opts.run_id.empty() ? pack.run_id : opts.run_id;
  TRY_VOID(check_run_id(run_id));

  std::string rev = !base_override.empty() ? base_override : opts.base.empty() ? "HEAD" : opts.base;
  auto base = repo.resolve_commit(rev);
  if (!base) {
    Error e = base.error();
    if (rev == "HEAD")
      e.message = "the repository has no commit yet (HEAD is unborn): " + e.message;
    return fail(e);
  }
  std::string tasks_rel = tasks_relative(opts.tasks, repo);
  std::string base_id = *base;
  {
    auto source = git::tree_source(repo, base_id);
    add_verifier_similar_files(pack, tasks, *source);
  }
  plan::Filter filter{opts.only_categories, opts.skip_categories};
  TRY(plan::Plan plan,
      plan::make_plan(pack, tasks, filter, exists_in(repo, base_id), refusal_rule(repo, base_id)));
  plan.run_id = run_id;
  mark_evidence_updates(plan, pack, opts);
  spdlog::debug("planned {} tasks in {} units", plan.task_count(), plan.units.size());
  std::string digest = pack_digest(pack);
  return Inputs{std::move(repo),   std::move(pack),    std::move(tasks),  std::move(tasks_rel),
                std::move(run_id), std::move(base_id), std::move(digest), std::move(plan)};
}

}  // namespace smartspec::engine
