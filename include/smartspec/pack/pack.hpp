// Reading prompt packs (docs/DESIGN.md "Prompt packs"): the real prompter's shape,
// the old reference script's shape, symlinked pack directories.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::pack {

// Parses one category file's text. `name` is the file name used in
// diagnostics and PackTask::source. Errors (unterminated fence, invalid UTF-8)
// name the file and line.
Result<std::vector<PackTask>> parse_category(std::string_view text, const std::string& name,
                                             Unit category);

// Reads a whole pack directory: resolves symlinks, finds category files
// (singular and plural names), parses meta/summary.json when present and
// cross-checks its counts (mismatch = warning). A missing directory or a pack
// with no category file is an error.
Result<Pack> load(const std::string& dir);

}  // namespace smartspec::pack
