#include "engine/inputs.hpp"

#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "smartspec/exec/interpreter.hpp"
#include "smartspec/pack/pack.hpp"
#include "smartspec/tasks/tasks.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

RunRefs::RunRefs(const std::string& id)
    : branch("refs/heads/smartspec/" + id),
      checkpoint("refs/smartspec/checkpoints/" + id),
      state("refs/smartspec/runs/" + id),
      failed_prefix("refs/smartspec/failed/" + id + "/"),
      undo_prefix("refs/smartspec/undo/" + id + "/") {}

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

std::time_t clock_now() {
  if (const char* fake = std::getenv("SMARTSPEC_FAKE_TIME"); fake && *fake)
    return static_cast<std::time_t>(std::atoll(fake));
  return std::time(nullptr);
}

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

}  // namespace

std::string now_iso8601() {
  std::time_t t = clock_now();
  std::tm tm{};
  if (std::getenv("SMARTSPEC_FAKE_TIME")) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s = buf;  // ...+0100 → ...+01:00
  if (s.size() >= 5) s.insert(s.size() - 2, ":");
  return s;
}

std::string now_stamp() {
  std::time_t t = clock_now();
  std::tm tm{};
  if (std::getenv("SMARTSPEC_FAKE_TIME")) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
  return buf;
}

double now_seconds() {
  if (std::getenv("SMARTSPEC_FAKE_TIME")) return static_cast<double>(clock_now());
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
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
  exec::set_default_python_home({repo.workdir(), repo.common_dir() + "/smartspec/python3-interpreter"});

  std::string run_id = opts.run_id.empty() ? pack.run_id : opts.run_id;
  TRY_VOID(check_run_id(run_id));

  std::string rev = !base_override.empty() ? base_override : opts.base.empty() ? "HEAD" : opts.base;
  auto base = repo.resolve_commit(rev);
  if (!base) {
    Error e = base.error();
    if (rev == "HEAD") e.message = "the repository has no commit yet (HEAD is unborn): " + e.message;
    return fail(e);
  }

  // tasks.md relative to the repository root, when inside it.
  std::string tasks_rel;
  std::error_code ec;
  fs::path tasks_abs = fs::weakly_canonical(fs::absolute(opts.tasks), ec);
  fs::path root = fs::weakly_canonical(repo.workdir(), ec);
  auto rel = tasks_abs.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != "..") tasks_rel = rel.generic_string();

  std::string base_id = *base;
  // Looking each path up from the root tree costs a tree walk per file (90% of
  // planning a 10,000-task pack); list each directory once instead.
  std::shared_ptr<verify::FileSource> source = git::tree_source(repo, base_id);
  auto listings =
      std::make_shared<std::unordered_map<std::string, std::unordered_set<std::string>>>();
  auto exists = [source, listings](const std::string& p) {
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
  // What the repository refuses (issue 15 item 6): a path inside a submodule
  // (the unit's tree would replace the gitlink by a directory) or the gitlink
  // itself, and a file under filter=lfs (its content would be committed raw:
  // git-lfs's clean filter is not run).
  auto gitlinks = std::make_shared<std::unordered_map<std::string, bool>>();
  auto is_gitlink = [&repo, base_id, gitlinks](const std::string& p) {
    auto it = gitlinks->find(p);
    if (it == gitlinks->end()) {
      bool link = repo.entry(base_id, p).kind == git::Repository::Kind::kSubmodule;
      it = gitlinks->emplace(p, link).first;
    }
    return it->second;
  };
  auto refuse = [&repo, base_id, is_gitlink](const std::string& raw) -> std::string {
    std::string p;  // "./a//b" → "a/b" (the lexical rule has accepted it)
    for (std::size_t start = 0; start <= raw.size();) {
      std::size_t slash = raw.find('/', start);
      std::string part = raw.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (!part.empty() && part != ".") p += (p.empty() ? "" : "/") + part;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    for (std::size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      if (is_gitlink(p.substr(0, slash))) return "path inside submodule " + p.substr(0, slash) + " refused";
    }
    if (is_gitlink(p)) return "path is a submodule refused";
    if (repo.is_lfs(base_id, p)) {
      return "filter=lfs path refused (smartspec-batch does not run git-lfs's clean filter; add it "
             "with git lfs)";
    }
    return {};
  };
  plan::Filter filter{opts.only_categories, opts.skip_categories};
  TRY(plan::Plan plan, plan::make_plan(pack, tasks, filter, exists, refuse));
  plan.run_id = run_id;
  spdlog::debug("planned {} tasks in {} units", plan.task_count(), plan.units.size());
  std::string digest = pack_digest(pack);
  return Inputs{std::move(repo), std::move(pack), std::move(tasks), std::move(tasks_rel),
                std::move(run_id), std::move(base_id), std::move(digest), std::move(plan)};
}

}  // namespace smartspec::engine
