// The execution plan (docs/DESIGN.md "Plan"): units in priority order, the tasks
// of each, and for every task the files it will create, modify or rename.
// Pure: the repository is seen only through the `exists` callback.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::plan {

enum class Action { kCreate, kModify, kRename, kNone };
std::string_view action_name(Action a);  // "create" | "modify" | "rename" | "none"

enum class PathSource { kPack, kTasks };
std::string_view source_name(PathSource s);  // "pack" | "tasks.md"

struct PlannedFile {
  std::string path;
  FileRole role = FileRole::kOther;
  Action action = Action::kNone;
  std::string from;  // rename source
  PathSource source = PathSource::kPack;
  std::string content;       // what the pack gives for it (joined content fences); may be empty
  std::string lang;          // language tag of its first content fence
  bool has_content = false;  // a non-empty, non-skeleton fence belongs to it
  bool skeleton = false;     // content is a TODO-only skeleton
  std::vector<std::string> candidates;  // naming issues: existing similar files considered
  // Pack lines spanned by the content fences used (first opening to last
  // closing marker); 0 when the content did not come from fences.
  int content_first_line = 0;
  int content_last_line = 0;
  // Why the path (or the rename source) is refused, "" when it is not: the
  // lexical rule (paths::refusal) or the repository's (inside a submodule,
  // under filter=lfs). A task with a refused file fails without writing.
  std::string refused;
  bool operator==(const PlannedFile&) const = default;
};

struct PlannedTask {
  std::string id;
  std::string title;
  Unit unit = Unit::kNotImplemented;      // the unit it runs in
  Unit category = Unit::kNotImplemented;  // the category file it came from
  std::size_t pack_index = 0;             // index into Pack::tasks
  bool known = true;                      // tasks.md has this id
  bool checked = false;                   // tasks.md marks it [x]
  bool needs_agent = false;               // nothing to apply in apply mode
  // naming_issue by the pack's option A: its rename (a file's `from`) is done
  // as an update of the evidence path in tasks.md, no file is renamed. Set by
  // the engine (not with --rename-files, nor for a pack offering only a rename).
  bool evidence_update = false;
  std::vector<PlannedFile> files;
  std::vector<std::string> notes;  // why needs_agent, duplicate, ...
  bool operator==(const PlannedTask&) const = default;
};

struct PlannedUnit {
  Unit unit = Unit::kNotImplemented;
  int priority = 0;
  std::vector<PlannedTask> tasks;
};

struct Plan {
  std::string run_id;
  std::vector<PlannedUnit> units;  // only units with tasks
  std::vector<Diagnostic> warnings;
  [[nodiscard]] std::size_t task_count() const;
};

struct Filter {
  std::vector<std::string> only;  // unit names (either spelling); empty = all
  std::vector<std::string> skip;
};

// Validates unit names; error "unknown category 'x' (valid: critical, ...)".
Result<std::vector<Unit>> parse_unit_list(const std::vector<std::string>& names);

using ExistsFn = std::function<bool(const std::string& path)>;
// Why the repository refuses a (lexically acceptable) path — inside a
// submodule, under filter=lfs — or "".
using RefuseFn = std::function<std::string(const std::string& path)>;

Result<Plan> make_plan(const Pack& pack, const TasksDoc& tasks, const Filter& filter,
                       const ExistsFn& exists, const RefuseFn& refuse = {});

// Human-readable plan (what `plan` prints) and its JSON document.
std::string render_text(const Plan& plan, const Pack& pack);
std::string render_json(const Plan& plan, const Pack& pack);

}  // namespace smartspec::plan
