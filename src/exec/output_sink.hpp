// A command's captured output (run_process). Private to the exec module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace smartspec::exec {

// A command's output: the first `keep` bytes (streamed to the log as they
// come), the last `keep` bytes in a ring buffer, the rest counted. Memory
// stays within 2 × keep whatever the command writes.
class OutputSink {
 public:
  OutputSink(int log_fd, std::size_t keep) : log_(log_fd), keep_(keep) {}

  void add(const char* p, std::size_t n);

  // Writes the rest of the log; the output as kept.
  std::string finish();

  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  int log_;
  std::size_t keep_;
  std::string head_;
  std::vector<char> ring_;
  std::size_t pos_ = 0;     // next write position in ring_
  std::size_t filled_ = 0;  // bytes held in ring_
  std::uint64_t dropped_ = 0;
};

}  // namespace smartspec::exec
