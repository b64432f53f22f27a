// libFuzzer target: parse_category on arbitrary bytes. Any input must yield
// tasks or an Error, never a crash, hang or sanitizer report; built with
// -DSMARTSPEC_FUZZ=ON (clang).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smartspec/pack/pack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tasks = smartspec::pack::parse_category(text, "fuzz.md", smartspec::Unit::kMissingCode);
  if (tasks) {
    // Touch what the engine reads so the sanitizers see every byte we produced.
    std::size_t n = 0;
    for (const auto& t : *tasks) {
      n += t.raw.size() + t.id.size();
      for (const auto& f : t.files)
        for (const auto& fence : f.fences) n += fence.body.size();
    }
    (void)n;
  }
  return 0;
}
