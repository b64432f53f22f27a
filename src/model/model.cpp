#include "smartspec/model/model.hpp"

#include "smartspec/util/text.hpp"

namespace smartspec {

std::string_view unit_name(Unit u) {
  switch (u) {
    case Unit::kCritical:
      return "critical";
    case Unit::kNotImplemented:
      return "not_implemented";
    case Unit::kMissingTests:
      return "missing_tests";
    case Unit::kMissingCode:
      return "missing_code";
    case Unit::kSymbolIssue:
      return "symbol_issue";
    case Unit::kContentIssue:
      return "content_issue";
    case Unit::kNamingIssue:
      return "naming_issue";
  }
  return "?";
}

std::optional<Unit> unit_from_name(std::string_view name) {
  std::string n = text::to_lower(text::trim(name));
  for (Unit u : kAllUnits) {
    std::string_view s = unit_name(u);
    if (n == s) return u;
    // Plural spellings: "symbol_issues", "not_implemented" has none but accept "critical" only.
    if (u == Unit::kSymbolIssue || u == Unit::kContentIssue || u == Unit::kNamingIssue) {
      if (n == std::string(s) + "s") return u;
    }
  }
  return std::nullopt;
}

int unit_priority(Unit u) {
  switch (u) {
    case Unit::kCritical:
      return 1;
    case Unit::kNotImplemented:
    case Unit::kMissingTests:
    case Unit::kMissingCode:
      return 2;
    case Unit::kSymbolIssue:
    case Unit::kContentIssue:
      return 3;
    case Unit::kNamingIssue:
      return 4;
  }
  return 4;
}

std::string valid_unit_names() {
  std::string out;
  for (Unit u : kAllUnits) {
    if (!out.empty()) out += ", ";
    out += unit_name(u);
  }
  return out;
}

std::string_view role_name(FileRole r) {
  switch (r) {
    case FileRole::kCode:
      return "code";
    case FileRole::kTest:
      return "test";
    case FileRole::kOther:
      return "other";
  }
  return "other";
}

std::optional<std::string> Evidence::get(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return std::nullopt;
}

const TaskLine* TasksDoc::find(std::string_view id) const {
  for (const auto& t : tasks)
    if (t.id == id) return &t;
  return nullptr;
}

}  // namespace smartspec
