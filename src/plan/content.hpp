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

// Whether a fence tagged `lang` may be written into `path`: the tag names the
// language of the file's extension (an untagged fence always fits).
bool language_fits(const std::string& lang, const std::string& path);

// Sets content/lang/has_content/skeleton of f from the fences that belong to
// it. Fences under an "Example" label and fences in another language than the
// file's are left out; why (for a fence that had something) goes to `notes`.
void assign(PlannedFile& f, const std::vector<Fence>& fences,
            std::vector<std::string>* notes = nullptr);

}  // namespace smartspec::plan::content
