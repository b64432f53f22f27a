// `rollback RUN --unit NAME [--revert]` and `rollback RUN --undo`: drop one
// unit's commit from a run's result branch by re-applying the later unit
// commits on its parent in memory (or add a revert commit on top), keeping the
// old tip under refs/smartspec/undo/<id>/<n>; --undo restores the latest one.
// Everything is computed first; refs move only when all of it succeeded.
#include <algorithm>
#include <cstdio>

#include "engine/ops_common.hpp"
#include "smartspec/util/json.hpp"

namespace smartspec::engine {

namespace {

using ops::short_id;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Moves the checkpoint (when the run still has one) and then the branch from
// `old_tip` to `new_tip`. The checkpoint goes first: it is what a resumed run
// trusts, and the runner brings the branch to it.
Result<void> move_result(git::Repository& repo, const ops::RunView& run, const std::string& old_tip,
                         const std::string& new_tip, const std::string& why) {
  if (run.checkpoint) {
    TRY_VOID(repo.update_ref(run.refs.checkpoint, new_tip, old_tip, "smartspec: " + why));
  }
  auto moved = repo.update_ref(run.refs.branch, new_tip, old_tip, "smartspec: " + why);
  if (!moved && run.checkpoint) {
    (void)repo.update_ref(run.refs.checkpoint, old_tip, new_tip, "smartspec: undo " + why);
  }
  return moved;
}

struct Outcome {
  std::string action;  // "dropped" | "reverted" | "restored"
  std::string unit;
  std::string old_tip;
  std::string new_tip;
  std::string undo_ref;
};

Result<Outcome> undo(git::Repository& repo, const ops::RunView& run) {
  if (run.undo.empty()) return fail("run " + run.id + " has no rollback to undo");
  const auto& [ref, target] = run.undo.back();
  std::string old_tip = *run.branch;
  TRY_VOID(move_result(repo, run, old_tip, target, "undo rollback of run " + run.id));
  TRY_VOID(repo.delete_ref(ref, target));
  return Outcome{"restored", "", old_tip, target, ref};
}

// The branch tip without the unit at chain[index]: the commits after it
// cherry-picked onto its parent.
Result<std::string> tip_without(git::Repository& repo, const std::vector<ops::ChainCommit>& chain,
                                std::size_t index, const std::string& unit) {
  const auto it = chain.begin() + static_cast<std::ptrdiff_t>(index);
  TRY(auto parents, repo.parents(it->commit));
  if (parents.size() != 1) return fail("unit " + unit + "'s commit is not a plain commit");
  std::string onto = parents.front();
  for (auto later = std::next(it); later != chain.end(); ++later) {
    TRY(auto r, git::cherry_pick(repo, later->commit, onto));
    if (!r.conflicts.empty()) {
      std::string what = later->unit.empty()
                             ? "commit " + short_id(later->commit)
                             : "unit " + later->unit + " (" + short_id(later->commit) + ")";
      return fail("cannot drop unit " + unit + ": " + what + " conflicts without it in " +
                  join(r.conflicts) + "; nothing changed (use --revert to add a revert commit)");
    }
    onto = r.commit;
  }
  return onto;
}

// The report follows the tip, with a line saying what changed since.
void carry_note(git::Repository& repo, const ops::RunView& run, const std::string& unit,
                bool use_revert, const std::string& old_tip, const std::string& new_tip,
                const std::string& undo_ref) {
  if (auto note = repo.read_note(kNotesRef, old_tip)) {
    std::string text = *note;
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += "\n## Rollback\n\n- unit `" + unit + "` " +
            (use_revert ? "reverted by " + short_id(new_tip) : std::string("removed")) +
            " by `smartspec-batch rollback`; the previous tip " + short_id(old_tip) +
            " is kept as `" + undo_ref + "` (`smartspec-batch rollback " + run.id +
            " --undo` restores it)\n";
    if (auto r = repo.set_note(kNotesRef, new_tip, text); !r) {
      std::fprintf(stderr, "smartspec-batch: warning: report note not moved: %s\n",
                   r.error().to_string().c_str());
    }
  }
}

Result<Outcome> drop_or_revert(git::Repository& repo, const ops::RunView& run,
                               const std::string& unit, bool use_revert) {
  const std::string old_tip = *run.branch;
  TRY(auto chain, ops::unit_chain(repo, run.id, run.state ? run.state->base : "", old_tip));
  auto it = std::find_if(chain.begin(), chain.end(),
                         [&unit](const ops::ChainCommit& c) { return c.unit == unit; });
  if (it == chain.end()) {
    std::vector<std::string> units;
    for (const auto& c : chain)
      if (!c.unit.empty()) units.push_back(c.unit);
    return fail("unit " + unit + " has no commit on smartspec/" + run.id +
                " (units there: " + (units.empty() ? std::string("none") : join(units)) + ")");
  }
  std::string new_tip;
  if (use_revert) {
    std::string msg = "smartspec(" + unit + "): revert\n\nThis reverts commit " + it->commit +
                      " (unit " + unit + " of run " + run.id + ").\n\nSmartspec-Run: " + run.id +
                      "\nSmartspec-Reverts: " + unit + "\n";
    TRY(auto r, git::revert(repo, it->commit, old_tip, msg));
    if (!r.conflicts.empty()) {
      return fail("cannot revert unit " + unit + ": later commits changed the same lines in " +
                  join(r.conflicts) + "; nothing changed");
    }
    new_tip = r.commit;
  } else {
    TRY(new_tip, tip_without(repo, chain, static_cast<std::size_t>(it - chain.begin()), unit));
  }
  std::string undo_ref = run.refs.undo_prefix + std::to_string(ops::next_undo_number(run));
  TRY_VOID(repo.update_ref(undo_ref, old_tip, std::nullopt,
                           "smartspec: tip of run " + run.id + " before rollback of " + unit));
  auto moved = move_result(repo, run, old_tip, new_tip, "rollback of unit " + unit);
  if (!moved) {
    (void)repo.delete_ref(undo_ref, old_tip);
    return fail(moved.error());
  }
  carry_note(repo, run, unit, use_revert, old_tip, new_tip, undo_ref);
  return Outcome{use_revert ? "reverted" : "dropped", unit, old_tip, new_tip, undo_ref};
}

}  // namespace

int rollback_command(const RollbackOptions& opts) {
  if (opts.undo == !opts.unit.empty()) {
    return ops::report_error(Error{{}, 0, "rollback needs exactly one of --unit NAME and --undo"});
  }
  if (opts.undo && opts.revert) {
    return ops::report_error(Error{{}, 0, "--revert goes with --unit, not with --undo"});
  }
  std::string unit;
  if (!opts.undo) {
    auto u = unit_from_name(opts.unit);
    if (!u) {
      return ops::report_error(
          Error{{}, 0, "unknown unit '" + opts.unit + "' (valid: " + valid_unit_names() + ")"});
    }
    unit = std::string(unit_name(*u));
  }
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  auto lock = git::RepoLock::acquire(*repo, opts.run_id);
  if (!lock) return ops::report_error(lock.error());
  auto run = ops::load_run(*repo, opts.run_id);
  if (!run) return ops::report_error(run.error());
  if (!run->branch) {
    return ops::report_error(
        Error{{}, 0, "run " + opts.run_id + " has no result branch smartspec/" + opts.run_id});
  }
  if (run->checkpoint && *run->checkpoint != *run->branch) {
    return ops::report_error(Error{{},
                                   0,
                                   "smartspec/" + opts.run_id + " (" + short_id(*run->branch) +
                                       ") is not at the run's " + "checkpoint (" +
                                       short_id(*run->checkpoint) +
                                       "): resume or abort the run first; nothing changed"});
  }
  auto out = opts.undo ? undo(*repo, *run) : drop_or_revert(*repo, *run, unit, opts.revert);
  if (!out) return ops::report_error(out.error());
  if (opts.common.json) {
    JsonWriter w;
    w.begin_object().field("run_id", opts.run_id).field("action", out->action);
    w.field("unit", out->unit).field("branch", "smartspec/" + opts.run_id);
    w.field("old_tip", out->old_tip).field("new_tip", out->new_tip);
    w.field("undo_ref", out->undo_ref).end_object();
    std::fputs(w.str().c_str(), stdout);
  } else if (out->action == "restored") {
    std::printf("smartspec/%s restored to %s (from %s); %s removed\n", opts.run_id.c_str(),
                short_id(out->new_tip).c_str(), short_id(out->old_tip).c_str(),
                out->undo_ref.c_str());
  } else {
    std::printf("unit %s %s from smartspec/%s: now at %s (was %s, kept as %s)\n", out->unit.c_str(),
                out->action == "reverted" ? "reverted" : "removed", opts.run_id.c_str(),
                short_id(out->new_tip).c_str(), short_id(out->old_tip).c_str(),
                out->undo_ref.c_str());
  }
  return to_int(Exit::kOk);
}

}  // namespace smartspec::engine
