// /proc/<pid>/stat, read by the process runner (which processes descend from
// this one? are they still alive?), the repository lock (is its holder alive,
// and the same process?) and the tests.
#pragma once

#include <optional>
#include <vector>

namespace smartspec::proc {

struct Stat {
  char state = '?';              // R, S, D, Z (zombie), X (dead), ...
  long ppid = 0;                 // parent
  long pgrp = 0;                 // process group
  unsigned long long start = 0;  // start time, clock ticks since boot (field 22)
};

// nullopt when the process does not exist (or /proc is not there).
std::optional<Stat> stat(long pid);

// A zombie or a dead process: it runs nothing and holds nothing, though
// kill(pid, 0) still succeeds until its parent reaps it.
inline bool finished(const Stat& s) { return s.state == 'Z' || s.state == 'X'; }

struct Entry {
  long pid = 0;
  Stat stat;
};

// Every process /proc shows (one pass; processes may come and go meanwhile).
std::vector<Entry> all();

// The children of a process, from /proc/<pid>/task/*/children (one small read
// per thread instead of a pass over /proc). nullopt when the kernel has no such
// files (CONFIG_PROC_CHILDREN) or the process is gone.
std::optional<std::vector<long>> children(long pid);

// The processes below `root` in `table` (children, their children, ...), not
// `root` itself, parents before children. A process for which `prune(entry)`
// is true is left out together with everything below it.
template <typename Prune>
std::vector<Entry> descendants(long root, const std::vector<Entry>& table, Prune prune) {
  std::vector<Entry> out;
  std::vector<long> frontier{root};
  while (!frontier.empty()) {
    std::vector<long> next;
    for (const auto& e : table) {
      for (long parent : frontier) {
        if (e.stat.ppid == parent && e.pid != parent) {
          if (!prune(e)) {
            out.push_back(e);
            next.push_back(e.pid);
          }
          break;
        }
      }
    }
    frontier = std::move(next);
  }
  return out;
}

}  // namespace smartspec::proc
