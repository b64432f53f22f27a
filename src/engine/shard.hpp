// `run --shard K/N` (issue 21): one machine's share of a run's agent calls.
#pragma once

#include "engine/inputs.hpp"
#include "smartspec/engine/options.hpp"
#include "smartspec/engine/ports.hpp"
#include "smartspec/report/console.hpp"

namespace smartspec::engine {

// Runs the tasks of share K of N (position p of the plan's task order goes
// to share p mod N + 1), each on the run's base, and keeps each finished
// call's result as refs/smartspec/shards/<key>/<task> (task_refs.hpp). No
// run state, no checkpoint, no branch, no unit commit: objects and those
// refs only. Called with the repository lock held. The exit code: 0 every
// task of the share has a result (or verified on the base), 1 some call
// failed (no ref: the finishing run calls it again), 3 interrupted or an
// error of the tool (run the shard again: finished tasks are not redone).
int run_shard(const RunOptions& opts, Inputs& in, report::Console& console, const Ports& ports);

}  // namespace smartspec::engine
