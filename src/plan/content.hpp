// Deciding what a pack's fences give a file: real content, a TODO-only
// skeleton, or nothing (empty fences, imports only, docstrings only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/plan/plan.hpp"

namespace smartspec::plan::content {

enum class Kind { kEmpty, kSkeleton, kReal };

// Classifies a body for a file at `path` (comment syntax from its extension,
// else from the fence language).
Kind classify(std::string_view body, const std::string& path, const std::string& lang);

// Sets content/lang/has_content/skeleton of f from the fences that belong to it.
void assign(PlannedFile& f, const std::vector<Fence>& fences);

}  // namespace smartspec::plan::content
