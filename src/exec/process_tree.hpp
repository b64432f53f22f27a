// The process tree of a call (run_process): this process as a subreaper,
// the processes below it, signalling them, and the record of them that a
// later run ends (end_recorded_processes). Private to the exec module.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "smartspec/util/proc.hpp"

namespace smartspec::exec {

// A process: pid and start time (a pid alone may be reused).
using Ident = std::pair<long, unsigned long long>;

// The path set by set_process_record ("" when none).
std::string& record_path();

// Orphans of the commands we start (setsid daemons, double forks) are
// reparented to this process instead of init, so they stay in reach.
void become_subreaper();
// Processes below this one that existed before a call: not the call's (the
// persistent syntax checker, a test's own children). Pruned from its tree;
// with children files our direct children are enough (their subtrees go with them).
std::set<Ident> processes_below_us();
// Calls running at once (agent lanes, --jobs): each call's leader, and each
// call's live tree for the record. A leader is registered under `mu` in the
// same critical section as its fork, and every scan of a tree holds `mu`, so
// no scan sees another call's leader before it is known as one.
struct Calls {
  std::mutex mu;
  std::set<long> leaders;
  std::map<long, std::set<Ident>> recorded;
};
Calls& calls();
// A call's tree (the call whose leader is `self`): every process below this
// one that was not there (nor below one that was) when the call started, and
// that is not another running call's leader, below one, or in its group.
std::vector<proc::Entry> call_tree(const std::set<Ident>& foreign, long self = 0);
// Sends `sig` to every live process of the tree (0: none) and reaps the
// tree's zombies that are our children, except `leader` (its status is
// wanted: run_process reaps it). Returns the live processes found.
std::vector<proc::Entry> signal_tree(const std::set<Ident>& foreign, pid_t leader, int sig);
// "pid start" per line, replaced atomically: the trees of every running call
// (`leader`'s now `procs`; empty: that call ended); removed when none is left.
void write_record(const std::string& path, long leader, const std::set<Ident>& procs);

}  // namespace smartspec::exec
