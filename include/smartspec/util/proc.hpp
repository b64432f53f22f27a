// /proc/<pid>/stat, read by the process runner (is a process group still
// alive?), the repository lock (is its holder alive, and the same process?)
// and the tests.
#pragma once

#include <optional>

namespace smartspec::proc {

struct Stat {
  char state = '?';              // R, S, D, Z (zombie), X (dead), ...
  long pgrp = 0;                 // process group
  unsigned long long start = 0;  // start time, clock ticks since boot
};

// nullopt when the process does not exist (or /proc is not there).
std::optional<Stat> stat(long pid);

// A zombie or a dead process: it runs nothing and holds nothing, though
// kill(pid, 0) still succeeds until its parent reaps it.
inline bool finished(const Stat& s) { return s.state == 'Z' || s.state == 'X'; }

}  // namespace smartspec::proc
