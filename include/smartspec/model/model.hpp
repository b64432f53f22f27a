// The data every module shares: units, tasks.md entries, prompt-pack tasks.
// Plain structs, no behaviour beyond lookups; parsers fill them, the planner
// and the executors read them.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smartspec {

// ---------------------------------------------------------------- units
// In plan order (docs/DESIGN.md "Plan"): ties keep this order.
enum class Unit {
  kCritical,
  kNotImplemented,
  kMissingTests,
  kMissingCode,
  kSymbolIssue,
  kContentIssue,
  kNamingIssue,
};
inline constexpr std::array<Unit, 7> kAllUnits = {
    Unit::kCritical,    Unit::kNotImplemented, Unit::kMissingTests, Unit::kMissingCode,
    Unit::kSymbolIssue, Unit::kContentIssue,   Unit::kNamingIssue};

// "critical", "not_implemented", ... (singular spelling).
std::string_view unit_name(Unit u);
// Accepts singular and plural spellings ("symbol_issues"), case-insensitive.
std::optional<Unit> unit_from_name(std::string_view name);
// 1 critical; 2 not_implemented/missing_tests/missing_code; 3 symbol/content; 4 naming.
int unit_priority(Unit u);
// "critical, not_implemented, missing_tests, missing_code, symbol_issue, content_issue,
// naming_issue"
std::string valid_unit_names();

// A warning or note tied to a place in an input file.
struct Diagnostic {
  std::string file;
  int line = 0;
  std::string message;
  bool operator==(const Diagnostic&) const = default;
};

// ---------------------------------------------------------------- tasks.md
struct Evidence {
  std::string type;                                         // code | test | docs | ui
  std::vector<std::pair<std::string, std::string>> fields;  // key=value in written order
  int line = 0;                                             // 1-based line in tasks.md
  std::string raw;  // the payload after "evidence:", trimmed

  [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
  bool operator==(const Evidence&) const = default;
};

struct TaskLine {
  std::string id;
  std::string title;
  bool checked = false;            // "[x]" or "[X]"
  int line = 0;                    // line of "- [ ] ID Title"
  std::string indent;              // leading whitespace of the task line
  std::vector<Evidence> evidence;  // accepted evidence lines only
  int evidence_lines = 0;          // every "evidence:" line under the task, accepted or not
  int last_line = 0;               // last line that belongs to the task (task or evidence line)
  bool operator==(const TaskLine&) const = default;
};

struct TasksDoc {
  std::string path;
  std::vector<TaskLine> tasks;
  std::vector<Diagnostic> warnings;  // rejected evidence lines, duplicates ...

  [[nodiscard]] const TaskLine* find(std::string_view id) const;
};

// ---------------------------------------------------------------- prompt packs
enum class FileRole { kCode, kTest, kOther };
std::string_view role_name(FileRole r);  // "code" | "test" | "other"

struct Fence {
  std::string info;      // the info string after the marker, trimmed ("python", "")
  std::string lang;      // first word of info, lower-case
  std::string body;      // the lines inside, each ending "\n" (empty when no line)
  int line = 0;          // line of the opening marker
  std::string heading;   // text of the nearest heading above it
  bool content = false;  // true under a content heading, false = instruction
  bool operator==(const Fence&) const = default;
};

struct PackFile {
  std::string path;  // as named by the pack (never empty)
  FileRole role = FileRole::kOther;
  std::optional<bool> exists;  // what the pack says ("Status: ✅ File exists"); nullopt = silent
  std::vector<Fence> fences;   // content fences that belong to this file, in order
  int line = 0;                // where the pack names the path
  bool operator==(const PackFile&) const = default;
};

struct PackTask {
  std::string id;
  std::string title;
  Unit category = Unit::kNotImplemented;  // from the category file (never kCritical)
  std::string source;                     // category file name, e.g. "missing_code.md"
  int line = 0;                           // line of the "## Task" header in source
  int number = 0;                         // N of "## Task N:"; 0 in the old shape
  std::optional<int> priority;            // old shape "Priority: N"
  std::vector<PackFile> files;            // every file the section names, in order
  std::vector<Fence> instructions;        // fences under step/command headings: never applied
  std::vector<Fence> unassigned;          // content fences no named file claims
  std::optional<std::string> symbol;      // required symbol ("Missing Symbol:")
  std::optional<std::string> contains;    // required content ("Missing Content:")
  std::vector<std::string> suggestions;
  std::vector<std::string> similar_files;  // naming issues: candidate existing paths
  std::vector<Diagnostic> artefacts;       // template artefacts ({{else}}, {{/if}} ...) with lines
  std::string raw;                         // the section's markdown, as written
  bool operator==(const PackTask&) const = default;
};

struct CategoryFile {
  Unit category = Unit::kNotImplemented;
  std::string name;  // file name in the pack, e.g. "symbol_issues.md"
  std::string path;  // full path
};

struct PackSummary {
  std::optional<long> total_tasks;
  std::map<std::string, long> by_category;
};

struct Pack {
  std::string dir;                  // resolved (realpath) pack directory
  std::string run_id;               // basename of dir
  std::vector<CategoryFile> files;  // in unit order
  std::vector<PackTask> tasks;      // category files in unit order, sections in file order
  std::optional<PackSummary> summary;
  std::vector<Diagnostic> warnings;
  // (relative name, bytes) of every file read, sorted by name: the pack digest input.
  std::vector<std::pair<std::string, std::string>> contents;
};

}  // namespace smartspec
