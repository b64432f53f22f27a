// The helpers every run-management command shares (ops_common.hpp): finding
// a run's refs and state, and reading its unit commits.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "engine/ops_common.hpp"
#include "engine/run_internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace ops {

namespace {

// The value of trailer `key` ("Smartspec-Unit") in a commit message, or "".
std::string trailer(const std::string& msg, const std::string& key) {
  std::string needle = "\n" + key + ": ";
  auto pos = msg.rfind(needle);
  if (pos == std::string::npos) return {};
  auto start = pos + needle.size();
  auto end = msg.find('\n', start);
  return std::string(text::trim(msg.substr(start, end == std::string::npos ? end : end - start)));
}

std::string strip_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

}  // namespace

Result<git::Repository> open_repo(const CommonOptions& common) {
  git::OpenOptions o;
  o.repo_root = common.repo_root;
  return git::Repository::open(o);
}

std::vector<std::string> run_ids(const git::Repository& repo) {
  std::set<std::string> ids;
  for (const char* prefix :
       {"refs/smartspec/runs/", "refs/smartspec/checkpoints/", "refs/heads/smartspec/"}) {
    for (const auto& [name, oid] : repo.list_refs(prefix)) {
      std::string id = strip_prefix(name, prefix);
      if (id.find('/') == std::string::npos) ids.insert(id);
    }
  }
  return {ids.begin(), ids.end()};
}

Result<RunView> load_run(const git::Repository& repo, const std::string& id) {
  RunView v(id);
  v.branch = repo.read_ref(v.refs.branch);
  v.checkpoint = repo.read_ref(v.refs.checkpoint);
  v.state_commit = repo.read_ref(v.refs.state);
  TRY(v.state, read_state(repo, v.refs.state));
  v.failed = repo.list_refs(v.refs.failed_prefix);
  v.undo = repo.list_refs(v.refs.undo_prefix);
  v.tasks = repo.list_refs(v.refs.tasks_prefix);
  auto n = [&v](const std::string& ref) {
    return std::atoi(strip_prefix(ref, v.refs.undo_prefix).c_str());
  };
  std::sort(v.undo.begin(), v.undo.end(),
            [&n](const auto& a, const auto& b) { return n(a.first) < n(b.first); });
  if (!v.branch && !v.checkpoint && !v.state) {
    return fail("no run " + id + " in this repository (see `smartspec-batch status`)");
  }
  return v;
}

// Where a stopped run continues: the unit it recorded, else (killed before it
// could record where it stopped) the first unit not done.
std::string stopped_unit(const RunState& s) {
  if (!s.stopped_at.empty()) return s.stopped_at;
  for (const auto& u : s.units)
    if (std::find(s.completed.begin(), s.completed.end(), u) == s.completed.end()) return u;
  return "";
}

std::string run_state_label(const git::Repository& repo, const RunView& run) {
  if (!run.state) return "aborted";
  const RunState& s = *run.state;
  if (s.status == "finished") return "finished";
  auto holder = git::RepoLock::holder(repo);
  if (s.status == "running" && holder && holder->run_id == run.id) return "running";
  std::string at = stopped_unit(s);
  std::string label = at.empty() ? "stopped" : "stopped at " + at;
  if (s.status == "running") label += " (interrupted)";
  return label;
}

Result<std::vector<ChainCommit>> unit_chain(const git::Repository& repo, const std::string& id,
                                            const std::string& base, const std::string& tip) {
  std::vector<ChainCommit> out;
  std::string cur = tip;
  for (int guard = 0; cur != base; ++guard) {
    if (guard > 100000) return fail("the result branch of run " + id + " is too long");
    TRY(auto msg, repo.message(cur));
    if (base.empty() && trailer(msg, "Smartspec-Run") != id) break;
    out.push_back({cur, trailer(msg, "Smartspec-Unit")});
    TRY(auto parents, repo.parents(cur));
    if (parents.empty()) {
      if (base.empty()) break;
      return fail("the result branch of run " + id + " does not descend from its base " +
                  short_id(base));
    }
    cur = parents.front();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

int next_undo_number(const RunView& run) {
  int n = 0;
  for (const auto& [ref, oid] : run.undo)
    n = std::max(n, std::atoi(strip_prefix(ref, run.refs.undo_prefix).c_str()));
  return n + 1;
}

}  // namespace ops

}  // namespace smartspec::engine
