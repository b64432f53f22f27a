// Author and committer identity: environment, then config, then a fixed
// fallback (CI machines often have neither). Dates as git parses them.
#include "git/identity.hpp"

#include <cstdlib>
#include <ctime>
#include <regex>

#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

namespace {

constexpr const char* kFallbackName = "smartspec-batch";
constexpr const char* kFallbackEmail = "smartspec-batch@localhost";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string config_value(git_repository* repo, const char* key) {
  git_config* cfg = nullptr;
  if (repo == nullptr || git_repository_config_snapshot(&cfg, repo) != 0) return {};
  ConfigPtr owner(cfg);
  git_buf buf = GIT_BUF_INIT;
  std::string out;
  if (git_config_get_string_buf(&buf, cfg, key) == 0) out.assign(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  return out;
}

int local_offset_minutes(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<int>(tm.tm_gmtoff / 60);
}

Identity identity(git_repository* repo, const char* who) {
  const std::string prefix = std::string("GIT_") + who + "_";
  Identity id;
  id.name = env((prefix + "NAME").c_str());
  id.email = env((prefix + "EMAIL").c_str());
  if (id.name.empty()) id.name = config_value(repo, "user.name");
  if (id.email.empty()) id.email = config_value(repo, "user.email");
  if (id.name.empty()) id.name = kFallbackName;
  if (id.email.empty()) id.email = kFallbackEmail;
  std::optional<std::pair<std::int64_t, int>> date;
  const std::string date_env = env((prefix + "DATE").c_str());
  if (!date_env.empty()) date = parse_git_date(date_env);
  if (date) {
    id.time = date->first;
    id.offset_minutes = date->second;
  } else {
    std::time_t now = std::time(nullptr);
    id.time = static_cast<std::int64_t>(now);
    id.offset_minutes = local_offset_minutes(now);
  }
  return id;
}

}  // namespace

std::optional<std::pair<std::int64_t, int>> parse_git_date(const std::string& text) {
  std::smatch m;
  // Zone: "Z", "+0100", "+01:00", "-05".
  auto zone = [](const std::string& z, bool* ok) -> int {
    *ok = true;
    if (z.empty()) return 0;
    if (z == "Z" || z == "z") return 0;
    static const std::regex re(R"(([+-])(\d{2}):?(\d{2})?)");
    std::smatch zm;
    if (!std::regex_match(z, zm, re)) {
      *ok = false;
      return 0;
    }
    int minutes = std::stoi(zm[2]) * 60 + (zm[3].matched ? std::stoi(zm[3]) : 0);
    return zm[1] == "-" ? -minutes : minutes;
  };
  // "@1700000000 +0000" and git's raw "1700000000 +0000".
  static const std::regex raw(R"(\s*@?(\d+)(?:\s+([+-]\d{2}:?\d{2}))?\s*)");
  if (std::regex_match(text, m, raw) && (text.find('@') != std::string::npos || m[2].matched)) {
    bool ok = false;
    int off = zone(m[2].matched ? m[2].str() : std::string(), &ok);
    if (!ok) return std::nullopt;
    return std::make_pair(static_cast<std::int64_t>(std::stoll(m[1])), off);
  }
  // ISO-8601 / RFC 3339 and git's "YYYY-MM-DD HH:MM:SS +zone".
  static const std::regex iso(
      R"(\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\s*)");
  if (std::regex_match(text, m, iso)) {
    std::tm tm{};
    tm.tm_year = std::stoi(m[1]) - 1900;
    tm.tm_mon = std::stoi(m[2]) - 1;
    tm.tm_mday = std::stoi(m[3]);
    tm.tm_hour = std::stoi(m[4]);
    tm.tm_min = std::stoi(m[5]);
    tm.tm_sec = m[6].matched ? std::stoi(m[6]) : 0;
    if (!m[7].matched) {
      // No zone: local time, as git does.
      tm.tm_isdst = -1;
      std::time_t t = std::mktime(&tm);
      if (t == static_cast<std::time_t>(-1)) return std::nullopt;
      return std::make_pair(static_cast<std::int64_t>(t), local_offset_minutes(t));
    }
    bool ok = false;
    int off = zone(m[7].str(), &ok);
    if (!ok) return std::nullopt;
    std::time_t utc = timegm(&tm);
    return std::make_pair(static_cast<std::int64_t>(utc) - static_cast<std::int64_t>(off) * 60,
                          off);
  }
  return std::nullopt;
}

Identity Repository::author() const { return identity(repo_, "AUTHOR"); }
Identity Repository::committer() const { return identity(repo_, "COMMITTER"); }

}  // namespace smartspec::git
