// libFuzzer target: the tasks.md reader and the evidence tokenizer on
// arbitrary bytes. Neither may crash, hang or read out of bounds; a quoted
// token must read back identically.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smartspec/tasks/tasks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto doc = smartspec::tasks::parse(input, "fuzz.md");
  if (doc) {
    for (const auto& task : doc->tasks) {
      if (task.id.empty() || task.line <= 0 || task.last_line < task.line) std::abort();
    }
  }
  auto tokens = smartspec::tasks::shell_split(input);
  if (tokens) {
    for (const auto& t : *tokens) {
      auto back = smartspec::tasks::shell_split(smartspec::tasks::shell_quote(t));
      if (!back || back->size() != 1 || (*back)[0] != t) std::abort();
    }
  }
  return 0;
}
