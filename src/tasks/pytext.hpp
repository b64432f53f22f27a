// Python `str` semantics the reference verifier relies on, over UTF-8 bytes:
// which characters `\s` and str.strip() treat as whitespace, and where
// str.splitlines() breaks lines. Private to the tasks module.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace smartspec::tasks::py {

// Byte length of the whitespace character starting at s[pos] (Python's
// str.isspace(), the set `\s` matches in a str pattern), or 0 when the
// character there is not whitespace (or pos is at the end).
std::size_t space_at(std::string_view s, std::size_t pos);

// Byte length of the whitespace character ending at s[end-1], or 0.
std::size_t space_before(std::string_view s, std::size_t end);

// str.strip() / lstrip() / rstrip() with no argument.
std::string_view strip(std::string_view s);
std::string_view lstrip(std::string_view s);
std::string_view rstrip(std::string_view s);

// str.splitlines(): breaks on \n, \r, \r\n, \v, \f, \x1c-\x1e, U+0085,
// U+2028, U+2029; terminators are not part of the lines.
std::vector<std::string_view> splitlines(std::string_view s);

// Number of code points in valid UTF-8.
std::size_t code_points(std::string_view s);

}  // namespace smartspec::tasks::py
