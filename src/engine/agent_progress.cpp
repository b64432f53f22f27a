#include "engine/agent_progress.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "smartspec/exec/process.hpp"

namespace smartspec::engine {

AgentTicker::AgentTicker(std::string log_path, Tick tick)
    : log_path_(std::move(log_path)), tick_(std::move(tick)) {
  if (tick_) thread_ = std::thread([this] { loop(); });
}

AgentTicker::~AgentTicker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AgentTicker::loop() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) return;
    lock.unlock();
    auto tail = tail_of_file(log_path_, 1);
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    tick_(elapsed, tail.empty() ? std::string() : tail.back());
    lock.lock();
  }
}

std::vector<std::string> last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> out;
  std::size_t end = text.size();
  while (end > 0 && out.size() < n) {
    std::size_t start = text.rfind('\n', end - 1);
    std::size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(from, end - from);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) out.insert(out.begin(), line);
    if (start == std::string::npos) break;
    end = start;
  }
  return out;
}

std::vector<std::string> tail_of_file(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  constexpr std::streamoff kMax = std::streamoff{64} * 1024;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return {};
  std::streamoff from = size > kMax ? size - kMax : 0;
  in.seekg(from);
  std::string text(static_cast<std::size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (from > 0) {  // the first line is cut: drop it
    auto nl = text.find('\n');
    text = nl == std::string::npos ? std::string() : text.substr(nl + 1);
  }
  return last_lines(text, n);
}

std::string self_program() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec || p.empty() ? std::string("smartspec-batch") : p.string();
}

}  // namespace smartspec::engine
