// The process tree of a call (run_process): this process as a subreaper,
// the processes below it, signalling them, and the record of them that a
// later run ends (end_recorded_processes). Private to the exec module.
#pragma once

#include <sys/types.h>

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
// A call's tree: every process below this one that was not there (nor below
// one that was) when the call started. Being a subreaper, we are an ancestor of
// everything the command started, wherever it moved its session or group.
std::vector<proc::Entry> call_tree(const std::set<Ident>& foreign);
// Sends `sig` to every live process of the tree (0: none) and reaps the
// tree's zombies that are our children, except `leader` (its status is
// wanted: run_process reaps it). Returns the live processes found.
std::vector<proc::Entry> signal_tree(const std::set<Ident>& foreign, pid_t leader, int sig);
// "pid start" per line, replaced atomically.
void write_record(const std::string& path, const std::set<Ident>& procs);

}  // namespace smartspec::exec
