// Process set-up shared by every command (include/smartspec/engine/engine.hpp).
#include "smartspec/engine/engine.hpp"
#include "smartspec/git/git.hpp"

namespace smartspec::engine {

void init_process() { git::init_library(); }

}  // namespace smartspec::engine
