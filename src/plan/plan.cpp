#include "smartspec/plan/plan.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "plan/content.hpp"
#include "smartspec/util/path_rules.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::plan {

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kCreate:
      return "create";
    case Action::kModify:
      return "modify";
    case Action::kRename:
      return "rename";
    case Action::kNone:
      return "none";
  }
  return "none";
}

std::string_view source_name(PathSource s) { return s == PathSource::kPack ? "pack" : "tasks.md"; }

std::size_t Plan::task_count() const {
  std::size_t n = 0;
  for (const auto& u : units) n += u.tasks.size();
  return n;
}

Result<std::vector<Unit>> parse_unit_list(const std::vector<std::string>& names) {
  std::vector<Unit> out;
  for (const auto& raw : names) {
    std::string_view name = text::trim(raw);
    if (name.empty()) continue;
    auto u = unit_from_name(name);
    if (!u) {
      return fail("unknown category '" + std::string(name) + "' (valid: " + valid_unit_names() +
                  ")");
    }
    if (std::find(out.begin(), out.end(), *u) == out.end()) out.push_back(*u);
  }
  return out;
}

namespace {

bool creates_files(Unit category) {
  return category == Unit::kNotImplemented || category == Unit::kMissingTests ||
         category == Unit::kMissingCode;
}

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// The files of a task, from the pack, or from tasks.md evidence when the pack
// names none (the real prompter often writes empty paths).
std::vector<PlannedFile> collect_files(const PackTask& pt, const TaskLine* line,
                                       std::vector<std::string>* notes) {
  std::vector<PlannedFile> files;
  for (const auto& pf : pt.files) {
    PlannedFile f;
    f.path = pf.path;
    f.role = pf.role;
    f.source = PathSource::kPack;
    content::assign(f, pf.fences, notes);
    files.push_back(std::move(f));
  }
  if (files.empty() && line != nullptr) {
    std::set<std::string> seen;
    for (const auto& ev : line->evidence) {
      auto path = ev.get("path");
      if (!path || path->empty() || path->back() == '/' || !seen.insert(*path).second) continue;
      PlannedFile f;
      f.path = *path;
      f.role = ev.type == "code"   ? FileRole::kCode
               : ev.type == "test" ? FileRole::kTest
                                   : FileRole::kOther;
      f.source = PathSource::kTasks;
      files.push_back(std::move(f));
    }
    // Content fences the pack gave without a path: the first code fence goes to
    // the first code file, the first test fence to the first test file.
    std::vector<Fence> code_fences, test_fences;
    for (const auto& fence : pt.unassigned) {
      std::string h = text::to_lower(fence.heading);
      (h.find("test") != std::string::npos ? test_fences : code_fences).push_back(fence);
    }
    for (auto& f : files) {
      if (f.role == FileRole::kCode && !code_fences.empty()) {
        content::assign(f, code_fences, notes);
        code_fences.clear();
      } else if (f.role == FileRole::kTest && !test_fences.empty()) {
        content::assign(f, test_fences, notes);
        test_fences.clear();
      }
    }
  }
  return files;
}

// Candidates for the rename of `expected`: the pack's similar files, taken
// relative to the expected path's folder when given as bare names, existing in
// the base, not the expected path itself.
std::vector<std::string> rename_candidates(const PackTask& pt, const std::string& expected,
                                           const ExistsFn& exists) {
  std::vector<std::string> out;
  for (const auto& s : pt.similar_files) {
    std::string cand = s.find('/') == std::string::npos ? join_path(dirname_of(expected), s) : s;
    if (cand == expected || !exists(cand)) continue;
    if (std::find(out.begin(), out.end(), cand) == out.end()) out.push_back(cand);
  }
  return out;
}

void plan_actions(PlannedTask& t, const PackTask& pt, const ExistsFn& exists) {
  bool anything = false;
  for (auto& f : t.files) {
    bool present = exists(f.path);
    if (t.category == Unit::kNamingIssue) {
      if (present) {
        f.action = Action::kNone;
        t.notes.push_back(f.path + " already exists");
        continue;
      }
      auto cands = rename_candidates(pt, f.path, exists);
      f.candidates = cands;
      if (cands.size() == 1) {
        f.action = Action::kRename;
        f.from = cands.front();
        anything = true;
      } else {
        f.action = Action::kNone;
      }
      continue;
    }
    if (!f.has_content && !f.skeleton) {
      f.action = Action::kNone;
      continue;
    }
    if (creates_files(t.category)) {
      f.action = present ? Action::kModify : Action::kCreate;
    } else {
      f.action = Action::kModify;  // symbol/content issues add to an existing file
    }
    if (f.has_content) anything = true;
  }
  if (t.category == Unit::kNamingIssue) {
    if (t.files.empty()) t.notes.push_back("no path in the pack or in tasks.md");
    for (const auto& f : t.files) {
      if (f.action != Action::kNone || exists(f.path)) continue;
      std::string why = f.candidates.empty() ? "no similar file named by the pack for " + f.path
                                             : "several similar files for " + f.path + ": ";
      for (std::size_t k = 0; k < f.candidates.size(); ++k)
        why += (k ? ", " : "") + f.candidates[k];
      t.notes.push_back(why);
    }
    return;
  }
  if (!anything) {
    t.needs_agent = true;
    bool skeleton = std::any_of(t.files.begin(), t.files.end(),
                                [](const PlannedFile& f) { return f.skeleton; });
    t.notes.push_back(t.files.empty() ? "needs an agent: no path in the pack or in tasks.md"
                      : skeleton      ? "needs an agent: the pack gives only a skeleton"
                                      : "needs an agent: the pack gives no content");
  }
}

// A refused path is shown by the plan and fails its task before anything is
// written; the repository is never asked about a path the lexical rule refuses.
void mark_refused(PlannedTask& t, const RefuseFn& refuse) {
  auto why = [&](const std::string& p) {
    std::string r = paths::refusal(p);
    if (r.empty() && refuse) r = refuse(p);
    return r;
  };
  for (auto& f : t.files) {
    f.refused = why(f.path);
    if (f.refused.empty() && !f.from.empty()) {
      if (std::string r = why(f.from); !r.empty())
        f.refused = "rename source " + paths::printable(f.from) + ": " + r;
    }
  }
}

}  // namespace

Result<Plan> make_plan(const Pack& pack, const TasksDoc& tasks, const Filter& filter,
                       const ExistsFn& exists, const RefuseFn& refuse) {
  TRY(auto only, parse_unit_list(filter.only));
  TRY(auto skip, parse_unit_list(filter.skip));
  auto wanted = [&](Unit u) {
    if (!only.empty() && std::find(only.begin(), only.end(), u) == only.end()) return false;
    return std::find(skip.begin(), skip.end(), u) == skip.end();
  };

  Plan plan;
  plan.run_id = pack.run_id;
  plan.warnings = pack.warnings;
  std::map<Unit, std::vector<PlannedTask>> by_unit;
  std::unordered_map<std::string, std::string> first_seen;  // id → "file:line"
  // tasks.md by id (first occurrence wins, as TasksDoc::find): linear lookups
  // per pack task made planning quadratic on large packs.
  std::unordered_map<std::string_view, const TaskLine*> by_id;
  by_id.reserve(tasks.tasks.size());
  for (const auto& t : tasks.tasks) by_id.emplace(t.id, &t);

  for (std::size_t i = 0; i < pack.tasks.size(); ++i) {
    const PackTask& pt = pack.tasks[i];
    std::string where = pt.source + ":" + std::to_string(pt.line);
    if (auto it = first_seen.find(pt.id); it != first_seen.end()) {
      plan.warnings.push_back({pt.source, pt.line,
                               pt.id + " is listed again (first at " + it->second +
                                   "); it runs once, in its first unit"});
      continue;
    }
    first_seen.emplace(pt.id, where);

    auto found = by_id.find(pt.id);
    const TaskLine* line = found == by_id.end() ? nullptr : found->second;
    PlannedTask t;
    t.id = pt.id;
    t.title = !pt.title.empty() ? pt.title : (line != nullptr ? line->title : std::string());
    t.category = pt.category;
    t.pack_index = i;
    t.known = line != nullptr;
    t.checked = line != nullptr && line->checked;
    t.unit = t.checked ? Unit::kCritical : pt.category;
    if (!t.known) {
      plan.warnings.push_back({pt.source, pt.line, pt.id + " is not in " + tasks.path});
    }
    std::vector<std::string> fence_notes;
    t.files = collect_files(pt, line, &fence_notes);
    plan_actions(t, pt, exists);
    mark_refused(t, refuse);
    t.notes.insert(t.notes.end(), fence_notes.begin(), fence_notes.end());
    if (!wanted(t.unit)) continue;
    by_unit[t.unit].push_back(std::move(t));
  }

  for (Unit u : kAllUnits) {
    auto it = by_unit.find(u);
    if (it == by_unit.end() || it->second.empty()) continue;
    plan.units.push_back({u, unit_priority(u), std::move(it->second)});
  }
  return plan;
}

}  // namespace smartspec::plan
