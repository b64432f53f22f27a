// pyre's emitter: the pattern tree written out as PCRE2 syntax with
// Python's semantics spelled out. Private to the verify module.
#pragma once

#include <string>

#include "verify/pyre_tree.hpp"

namespace smartspec::verify::pyre {

// The PCRE2 pattern (ASCII) for `tree`, parsed with final flags `flags`.
std::string emit(const Seq& tree, const State& st, unsigned flags);

}  // namespace smartspec::verify::pyre
