// A started child of run_process and its supervision to the end: private to
// the exec module (process.cpp starts it, process_supervisor.cpp runs it).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <set>

#include "exec/process_tree.hpp"
#include "smartspec/exec/process.hpp"

namespace smartspec::exec {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A started child: its pid (the leader of its process group) and the parent's
// ends of its pipes.
struct Child {
  pid_t pid = -1;
  Fd input;   // its stdin
  Fd output;  // its stdout and stderr
  Fd failed;  // the exec failure report: closed by a successful exec
};

// Runs a started child to its end: feeds its stdin, collects its output (and
// its log, `log` when >= 0), ends its tree on the timeout or an interrupt
// (TERM, then KILL after the grace), ends what the leader leaves behind, and
// keeps the record of the tree. `foreign`: the processes below us that are not
// the call's.
ProcResult supervise(const ProcSpec& spec, Child& child, std::set<Ident> foreign, int log);

}  // namespace smartspec::exec
