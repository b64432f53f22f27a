// Process set-up shared by every command (include/smartspec/engine/engine.hpp).
#include "smartspec/engine/engine.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/git/git.hpp"

namespace smartspec::engine {

void init_process() { git::init_library(); }

bool parse_check_spec(const std::string& spec, std::string* ext, std::string* command) {
  return exec::parse_extra_check(spec, ext, command);
}

}  // namespace smartspec::engine
