#include "smartspec/engine/engine.hpp"

#include <cstdio>

namespace smartspec::engine {

int plan_command(const RunOptions& opts) {
  (void)opts;
  std::fprintf(stderr, "smartspec-batch: error: plan not implemented yet\n");
  return 2;
}

int run_command(const RunOptions& opts) {
  (void)opts;
  std::fprintf(stderr, "smartspec-batch: error: run not implemented yet\n");
  return 2;
}

}  // namespace smartspec::engine
