// What a person sees of an agent call while it runs and when it fails
// (issue 18): a ticker that reports the elapsed time and the last line of the
// agent's log every second, the tail of a log, and the check, before a run
// starts, that the agent's program exists.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::engine {

// Calls `tick(elapsed_seconds, last_line_of_log)` from its own thread once a
// second until destroyed (the destructor stops and joins it). `log_path` is
// read as it grows; a missing file gives an empty last line.
class AgentTicker {
 public:
  using Tick = std::function<void(double, const std::string&)>;
  AgentTicker(std::string log_path, Tick tick);
  ~AgentTicker();
  AgentTicker(const AgentTicker&) = delete;
  AgentTicker& operator=(const AgentTicker&) = delete;

 private:
  void loop();
  std::string log_path_;
  Tick tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The last `n` non-empty lines of the text (trailing whitespace removed),
// at most `max_bytes` from its end considered.
std::vector<std::string> last_lines(const std::string& text, std::size_t n);
// The same for a file (its last 64 KiB); empty when it cannot be read.
std::vector<std::string> tail_of_file(const std::string& path, std::size_t n);

// The running smartspec-batch's own path (/proc/self/exe), for the verify
// command the agent is told to run; "smartspec-batch" when unknown.
std::string self_program();

}  // namespace smartspec::engine
