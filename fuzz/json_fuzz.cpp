// libFuzzer target: the run-state reader (refs/smartspec/runs/<id>:state.json)
// on arbitrary bytes. The state ref lives in the user's repository and may be
// damaged or hand-edited, so any input must yield a RunState or an Error, never
// a crash, hang or sanitizer report. What it accepts must survive a round trip
// through the writer unchanged (the engine rewrites the state on every unit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/state.hpp"

namespace {

bool same(const smartspec::engine::RunState& a, const smartspec::engine::RunState& b) {
  return a.run_id == b.run_id && a.base == b.base && a.pack_digest == b.pack_digest &&
         a.prompts_dir == b.prompts_dir && a.tasks_path == b.tasks_path && a.status == b.status &&
         a.stopped_at == b.stopped_at && a.reason == b.reason && a.started == b.started &&
         a.updated == b.updated && a.units == b.units && a.completed == b.completed &&
         a.failures == b.failures && a.total_tasks == b.total_tasks && a.mode == b.mode;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto state = smartspec::engine::state_from_json(input);
  if (!state) return 0;
  auto again = smartspec::engine::state_from_json(smartspec::engine::state_to_json(*state));
  if (!again || !same(*state, *again)) std::abort();
  return 0;
}
