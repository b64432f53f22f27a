// The process tree of a call and the record of it (see process_tree.hpp),
// and the tool's interrupt flag.
#include "exec/process_tree.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "smartspec/exec/process.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupt = 0;

// Whether /proc/<pid>/task/<tid>/children exists: then a tree is walked from
// this process down (a few small reads); else /proc is scanned whole.
bool children_files() {
  static const bool yes = proc::children(::getpid()).has_value();
  return yes;
}

}  // namespace

std::string& record_path() {
  static std::string path;
  return path;
}

// Orphans of the commands we start (setsid daemons, double forks) are
// reparented to this process instead of init, so they stay in reach.
void become_subreaper() {
  static const bool done = [] {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    return true;
  }();
  (void)done;
}

// Processes below this one that existed before a call: not the call's (the
// persistent syntax checker, a test's own children). Pruned from its tree;
// with children files our direct children are enough (their subtrees go with them).
std::set<Ident> processes_below_us() {
  std::set<Ident> out;
  if (children_files()) {
    for (long c : proc::children(::getpid()).value_or(std::vector<long>{}))
      if (auto s = proc::stat(c)) out.insert({c, s->start});
    return out;
  }
  for (const auto& e :
       proc::descendants(::getpid(), proc::all(), [](const proc::Entry&) { return false; }))
    out.insert({e.pid, e.stat.start});
  return out;
}

Calls& calls() {
  static Calls c;
  return c;
}

// A call's tree: every process below this one that was not there (nor below
// one that was) when the call started, and that is not another running
// call's leader, below one, or in its process group. Being a subreaper, we
// are an ancestor of everything the command started, wherever it moved its
// session or group (a process that left both its parent and its group is
// counted in every running call's tree).
std::vector<proc::Entry> call_tree(const std::set<Ident>& foreign, long self) {
  std::lock_guard<std::mutex> lock(calls().mu);
  auto other = [&](const proc::Entry& e) {
    for (long l : calls().leaders)
      if (l != self && (e.pid == l || e.stat.pgrp == l)) return true;
    return false;
  };
  if (!children_files()) {
    return proc::descendants(::getpid(), proc::all(), [&](const proc::Entry& e) {
      return foreign.count({e.pid, e.stat.start}) != 0 || other(e);
    });
  }
  std::vector<proc::Entry> out;
  std::vector<long> frontier = proc::children(::getpid()).value_or(std::vector<long>{});
  std::set<long> seen;
  while (!frontier.empty()) {
    std::vector<long> next;
    for (long pid : frontier) {
      if (!seen.insert(pid).second) continue;
      auto s = proc::stat(pid);
      if (!s || foreign.count({pid, s->start}) != 0) continue;
      if (other({pid, *s})) continue;
      out.push_back({pid, *s});
      for (long c : proc::children(pid).value_or(std::vector<long>{})) next.push_back(c);
    }
    frontier = std::move(next);
  }
  return out;
}

// Sends `sig` to every live process of the tree (0: none) and reaps the
// tree's zombies that are our children, except `leader` (its status is
// wanted: run_process reaps it). Returns the live processes found.
std::vector<proc::Entry> signal_tree(const std::set<Ident>& foreign, pid_t leader, int sig) {
  std::vector<proc::Entry> live;
  for (const auto& e : call_tree(foreign, leader)) {
    if (proc::finished(e.stat)) {
      if (e.stat.ppid == ::getpid() && e.pid != leader)
        ::waitpid(static_cast<pid_t>(e.pid), nullptr, WNOHANG);
      continue;
    }
    if (sig != 0) ::kill(static_cast<pid_t>(e.pid), sig);
    live.push_back(e);
  }
  return live;
}

// "pid start" per line, replaced atomically: the trees of every running call
// (`leader`'s now `procs`; empty procs: the call ended). Removed when no call
// is left.
void write_record(const std::string& path, long leader, const std::set<Ident>& procs) {
  std::lock_guard<std::mutex> lock(calls().mu);
  if (procs.empty())
    calls().recorded.erase(leader);
  else
    calls().recorded[leader] = procs;
  if (calls().recorded.empty()) {
    ::unlink(path.c_str());
    return;
  }
  std::string text;
  for (const auto& [call, ids] : calls().recorded)
    for (const auto& [pid, start] : ids)
      text += std::to_string(pid) + " " + std::to_string(start) + "\n";
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)text::write_all(fd, text);  // best effort
  ::close(fd);
  ::rename(tmp.c_str(), path.c_str());
}

void interrupt_processes() noexcept { g_interrupt = 1; }

bool processes_interrupted() noexcept { return g_interrupt != 0; }

void clear_interrupt() noexcept { g_interrupt = 0; }

void set_process_record(const std::string& path) { record_path() = path; }

int end_recorded_processes(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::set<Ident> targets;  // recorded processes still alive as themselves, and what is below them
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    Ident id{0, 0};
    if (!(words >> id.first >> id.second) || id.first <= 1) continue;
    auto s = proc::stat(id.first);
    if (s && s->start == id.second && !proc::finished(*s)) targets.insert(id);
  }
  in.close();
  std::set<long> ended;
  const auto give_up = Clock::now() + std::chrono::seconds(3);
  while (!targets.empty()) {
    const auto table = proc::all();
    // Still the same processes (pid and start time), plus everything below
    // them now: what they started, including what was reparented meanwhile.
    std::set<Ident> now;
    for (const auto& e : table)
      if (targets.count({e.pid, e.stat.start}) != 0) now.insert({e.pid, e.stat.start});
    std::set<Ident> below;
    for (const auto& [pid, start] : now)
      for (const auto& e : proc::descendants(pid, table, [](const proc::Entry&) { return false; }))
        below.insert({e.pid, e.stat.start});
    now.insert(below.begin(), below.end());
    std::size_t live = 0;
    for (const auto& [pid, start] : now) {
      auto s = proc::stat(pid);
      if (!s || s->start != start || proc::finished(*s)) continue;
      ++live;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
      ended.insert(pid);
    }
    targets = std::move(now);
    if (live == 0 || Clock::now() >= give_up) break;
    ::usleep(5000);
  }
  ::unlink(path.c_str());
  return static_cast<int>(ended.size());
}

}  // namespace smartspec::exec
