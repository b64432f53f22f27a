// `land RUN` (and `run --land`): fast-forward the user's current branch to a
// finished run's result, touching in the working tree and index only the
// paths the run changed, and only when nothing of the user's is in their way.
#include <cstdio>

#include "engine/ops_common.hpp"
#include "smartspec/util/json.hpp"

namespace smartspec::engine {

namespace {

using ops::short_id;

std::string branch_name(const std::string& ref) {
  return ref.rfind("refs/heads/", 0) == 0 ? ref.substr(11) : ref;
}

// What land_run did, for the command's output.
struct Landed {
  std::string branch;
  std::string from;
  std::string to;
  std::size_t paths = 0;
  bool already = false;  // the branch was at the run's tip: nothing changed
};

Result<Landed> land(git::Repository& repo, const std::string& run_id) {
  if (repo.is_bare()) return fail("the repository is bare: there is no working tree to land in");
  TRY(auto run, ops::load_run(repo, run_id));
  const std::string result = "smartspec/" + run_id;
  if (!run.branch) return fail("run " + run_id + " has no result branch " + result);
  if (!run.state) {
    return fail("run " + run_id + " was aborted, so its base is unknown; merge " + result +
                " yourself (git merge --ff-only " + result + ")");
  }
  if (run.state->status != "finished") {
    return fail("run " + run_id + " is not finished (" + ops::run_state_label(repo, run) +
                "): resume it first");
  }
  auto head = repo.head_branch();
  if (!head) {
    return fail(
        "HEAD is detached: land fast-forwards the current branch; check out the branch "
        "to land on first (git switch <branch>)");
  }
  const std::string base = run.state->base;
  const std::string tip = *run.branch;
  auto current = repo.read_ref(*head);
  if (current && *current == tip && tip != base) {
    Landed already{branch_name(*head), tip, tip, 0};
    already.already = true;
    return already;
  }
  if (!current || *current != base) {
    return fail(branch_name(*head) + " is at " + short_id(current.value_or("")) +
                ", not at the run's base " + short_id(base) + ": merge " + result +
                " instead (git merge " + result + ")");
  }
  Landed out{branch_name(*head), base, tip, 0};
  if (tip == base) return out;
  TRY(bool descends, git::is_ancestor(repo, base, tip));
  if (!descends) return fail(result + " does not descend from the run's base " + short_id(base));
  TRY(auto base_tree, repo.tree_of(base));
  TRY(auto tip_tree, repo.tree_of(tip));
  TRY(auto paths, repo.changed_paths(base_tree, tip_tree));
  TRY(auto local, git::local_changes(repo, paths));
  if (!local.empty()) {
    std::string list;
    for (std::size_t i = 0; i < local.size() && i < 5; ++i) list += (i ? "; " : "") + local[i];
    if (local.size() > 5) list += "; and " + std::to_string(local.size() - 5) + " more";
    return fail("local changes touch paths the run changed (" + list +
                "): commit or stash them first");
  }
  TRY_VOID(git::checkout_paths(repo, tip, base, paths));
  auto moved = repo.update_ref(*head, tip, base, "smartspec: land run " + run_id);
  if (!moved) {
    // The branch moved under us: put the files back as they were.
    (void)git::checkout_paths(repo, base, tip, paths);
    return fail(moved.error());
  }
  out.paths = paths.size();
  return out;
}

}  // namespace

Result<void> land_run(git::Repository& repo, const std::string& run_id) {
  TRY_VOID(land(repo, run_id));
  return {};
}

int land_command(const RunSelect& opts) {
  if (opts.run_id.empty()) return ops::report_error(Error{{}, 0, "land needs a RUN id"});
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  auto lock = git::RepoLock::acquire(*repo, opts.run_id);
  if (!lock) return ops::report_error(lock.error());
  auto landed = land(*repo, opts.run_id);
  if (!landed) return ops::report_error(landed.error());
  if (opts.common.json) {
    JsonWriter w;
    w.begin_object().field("run_id", opts.run_id).field("branch", landed->branch);
    w.field("from", landed->from).field("to", landed->to).field("paths", landed->paths);
    w.field("already_landed", landed->already);
    w.end_object();
    std::fputs(w.str().c_str(), stdout);
  } else if (landed->already) {
    std::printf("%s is already at smartspec/%s (%s): already landed, nothing changed\n",
                landed->branch.c_str(), opts.run_id.c_str(), short_id(landed->to).c_str());
  } else if (landed->from == landed->to) {
    std::printf("%s is already at smartspec/%s (%s): nothing to land\n", landed->branch.c_str(),
                opts.run_id.c_str(), short_id(landed->to).c_str());
  } else {
    std::printf("%s fast-forwarded to smartspec/%s: %s..%s, %zu path%s updated\n",
                landed->branch.c_str(), opts.run_id.c_str(), short_id(landed->from).c_str(),
                short_id(landed->to).c_str(), landed->paths, landed->paths == 1 ? "" : "s");
  }
  return to_int(Exit::kOk);
}

}  // namespace smartspec::engine
