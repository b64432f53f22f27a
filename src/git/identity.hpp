// Private: git's date formats, exposed for the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace smartspec::git {

// (seconds since epoch, offset in minutes) of a GIT_*_DATE value:
// "2026-01-01T00:00:00Z", "2026-01-01 00:00:00 +0100", "@1700000000 +0000",
// "1700000000 +0000". A time without zone is local time. nullopt when unparsable.
std::optional<std::pair<std::int64_t, int>> parse_git_date(const std::string& text);

}  // namespace smartspec::git
