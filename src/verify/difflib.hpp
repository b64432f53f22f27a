// Python's difflib.SequenceMatcher ratio, on code-point sequences.
#pragma once

#include <string>
#include <string_view>

namespace smartspec::verify::difflib {

// UTF-8 to code points; an invalid byte b becomes U+DC00+b (surrogateescape).
std::u32string code_points(std::string_view s);

// SequenceMatcher(None, a, b): sum of the sizes of get_matching_blocks().
std::size_t matching_characters(const std::u32string& a, const std::u32string& b);

// 2*M/T, or 1.0 when both are empty; the exact double Python computes.
double ratio(const std::u32string& a, const std::u32string& b);

}  // namespace smartspec::verify::difflib
