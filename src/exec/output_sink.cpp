// A command's captured output: head streamed to the log, tail in a ring.
#include "exec/output_sink.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

std::string size_text(std::size_t n) {
  if (n >= (std::size_t{1} << 20) && n % (std::size_t{1} << 20) == 0)
    return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

void OutputSink::add(const char* p, std::size_t n) {
  if (head_.size() < keep_) {
    std::size_t h = std::min(n, keep_ - head_.size());
    head_.append(p, h);
    if (log_ >= 0) (void)text::write_all(log_, std::string_view(p, h));
    p += h;
    n -= h;
  }
  if (n == 0) return;
  if (keep_ == 0) {
    dropped_ += n;
    return;
  }
  if (ring_.empty()) ring_.resize(keep_);
  if (n >= keep_) {
    dropped_ += filled_ + (n - keep_);
    std::memcpy(ring_.data(), p + (n - keep_), keep_);
    pos_ = 0;
    filled_ = keep_;
    return;
  }
  if (filled_ + n > keep_) dropped_ += filled_ + n - keep_;
  std::size_t first = std::min(n, keep_ - pos_);
  std::memcpy(ring_.data() + pos_, p, first);
  std::memcpy(ring_.data(), p + first, n - first);
  pos_ = (pos_ + n) % keep_;
  filled_ = std::min(keep_, filled_ + n);
}

// Writes the rest of the log; the output as kept.
std::string OutputSink::finish() {
  std::string marker;
  if (dropped_ > 0) {
    marker = "\n[smartspec-batch: " + std::to_string(dropped_) +
             " bytes of output dropped here; the first and the last " + size_text(keep_) +
             " are kept]\n";
  }
  std::string tail;
  if (filled_ < keep_) {
    tail.assign(ring_.data(), filled_);
  } else {
    tail.assign(ring_.data() + pos_, keep_ - pos_);
    tail.append(ring_.data(), pos_);
  }
  if (log_ >= 0) {
    (void)text::write_all(log_, marker);
    (void)text::write_all(log_, tail);
  }
  std::string out = std::move(head_);
  out += marker;
  out += tail;
  return out;
}

}  // namespace smartspec::exec
