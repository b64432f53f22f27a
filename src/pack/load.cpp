// Reading a pack directory: category files (singular and plural names),
// README.md, meta/summary.json and the cross-check of its counts.
#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "smartspec/pack/pack.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::pack {
namespace {

constexpr const char* kSummaryName = "meta/summary.json";

std::string plural(long n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Whether `path` names something (following symlinks). A dangling link or a
// missing file is "absent"; anything else is read and its errors reported.
bool present(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 || errno != ENOENT;
}

// Parses meta/summary.json. Malformed JSON is an error; fields of the wrong
// type are ignored with a warning (the summary is never trusted over the files).
Result<PackSummary> parse_summary(std::string_view bytes, const std::string& path,
                                  std::vector<Diagnostic>* warnings) {
  simdjson::dom::parser parser;
  simdjson::padded_string json(text::strip_bom(bytes));
  simdjson::dom::element root;
  if (auto err = parser.parse(json).get(root)) {
    return fail(path, 0, std::string("malformed JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return fail(path, 0, "malformed summary: expected a JSON object");
  PackSummary s;
  simdjson::dom::element total;
  if (!obj["total_tasks"].get(total)) {
    int64_t n = 0;
    if (total.get_int64().get(n)) {
      warnings->push_back({kSummaryName, 0, "total_tasks is not an integer; ignored"});
    } else {
      s.total_tasks = static_cast<long>(n);
    }
  }
  simdjson::dom::element by;
  if (!obj["by_category"].get(by)) {
    simdjson::dom::object cats;
    if (by.get_object().get(cats)) {
      warnings->push_back({kSummaryName, 0, "by_category is not an object; ignored"});
    } else {
      for (auto field : cats) {
        std::string key(field.key);
        if (key == "verified") continue;  // verified tasks have no prompts
        int64_t n = 0;
        if (field.value.get_int64().get(n)) {
          warnings->push_back(
              {kSummaryName, 0, "by_category." + key + " is not an integer; ignored"});
          continue;
        }
        s.by_category[key] = static_cast<long>(n);
      }
    }
  }
  return s;
}

// Compares the summary's counts with the parsed tasks. total_tasks counts every
// task of tasks.md the report covered (verified ones included), so only a total
// below the pack's own count is inconsistent; by_category must match per category.
void cross_check(const Pack& pack, std::vector<Diagnostic>* out) {
  const PackSummary& s = *pack.summary;
  const long n = static_cast<long>(pack.tasks.size());
  if (s.total_tasks && *s.total_tasks < n) {
    out->push_back({kSummaryName, 0,
                    "total_tasks is " + std::to_string(*s.total_tasks) + " but the pack has " +
                        plural(n, "task")});
  }
  for (Unit u : kAllUnits) {
    if (u == Unit::kCritical) continue;
    std::string unit(unit_name(u));
    std::string files;
    for (const CategoryFile& f : pack.files) {
      if (f.category != u) continue;
      files += files.empty() ? f.name : " and " + f.name;
    }
    const bool several = files.find(" and ") != std::string::npos;
    long parsed = static_cast<long>(std::count_if(
        pack.tasks.begin(), pack.tasks.end(), [u](const PackTask& t) { return t.category == u; }));
    // Either spelling may be the key ("symbol_issues").
    std::optional<long> declared;
    for (const auto& [key, count] : s.by_category) {
      if (unit_from_name(key) == u) declared = declared.value_or(0) + count;
    }
    if (declared) {
      if (files.empty()) {
        if (*declared > 0) {
          out->push_back({kSummaryName, 0,
                          "by_category." + unit + " is " + std::to_string(*declared) +
                              " but the pack has no " + unit + " category file"});
        }
      } else if (*declared != parsed) {
        out->push_back({kSummaryName, 0,
                        "by_category." + unit + " is " + std::to_string(*declared) + " but " +
                            files + (several ? " have " : " has ") + plural(parsed, "task")});
      }
    } else if (!s.by_category.empty() && parsed > 0) {
      out->push_back({kSummaryName, 0,
                      "by_category has no " + unit + " but " + files +
                          (several ? " have " : " has ") + plural(parsed, "task")});
    }
  }
  for (const auto& [key, count] : s.by_category) {
    auto u = unit_from_name(key);
    if (!u || *u == Unit::kCritical) {
      out->push_back(
          {kSummaryName, 0, "by_category." + key + " is not a prompt-pack category; ignored"});
    }
  }
}

// SmartSpec's prompter writes no category file when every task verified: only
// README.md and meta/summary.json, whose counts say there is nothing to do.
// Without such a summary a directory with no category file is the wrong one.
bool nothing_to_do(const std::optional<PackSummary>& summary) {
  if (!summary || summary->total_tasks != 0) return false;
  for (const auto& [category, count] : summary->by_category)
    if (category != "verified" && count != 0) return false;
  return true;
}

// The category files of `pack->dir` (`dir` as the user wrote it, for errors),
// in unit order.
Result<void> list_category_files(const std::string& dir, Pack* pack_out) {
  Pack& pack = *pack_out;
  std::error_code ec;
  std::filesystem::directory_iterator it(pack.dir, ec);
  if (ec) return fail(dir, 0, "cannot list prompts directory: " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= 3 || text::to_lower(name.substr(name.size() - 3)) != ".md") continue;
    std::string_view stem = std::string_view(name).substr(0, name.size() - 3);
    // Numbered category files ("01-not_implemented.md") order a pack for people.
    std::size_t digits = 0;
    while (digits < stem.size() && stem[digits] >= '0' && stem[digits] <= '9') ++digits;
    if (digits > 0 && digits + 1 < stem.size() &&
        std::string_view("-_. ").find(stem[digits]) != std::string_view::npos)
      stem.remove_prefix(digits + 1);
    auto unit = unit_from_name(stem);
    if (!unit || *unit == Unit::kCritical) continue;  // README.md, verified.md, ...
    pack.files.push_back({*unit, name, pack.dir + "/" + name});
  }
  if (ec) return fail(dir, 0, "cannot list prompts directory: " + ec.message());
  // Unit order; within a unit the singular spelling before the plural one.
  std::sort(pack.files.begin(), pack.files.end(), [](const CategoryFile& a, const CategoryFile& b) {
    auto ia = std::find(kAllUnits.begin(), kAllUnits.end(), a.category);
    auto ib = std::find(kAllUnits.begin(), kAllUnits.end(), b.category);
    return ia != ib ? ia < ib : a.name < b.name;
  });
  return {};
}

// README.md and meta/summary.json, when present: their bytes for the digest,
// the summary checked against the parsed tasks.
Result<void> read_readme_and_summary(Pack* pack_out) {
  Pack& pack = *pack_out;
  const std::string readme = pack.dir + "/README.md";
  if (present(readme)) {
    TRY(std::string bytes, text::read_file(readme));
    pack.contents.emplace_back("README.md", std::move(bytes));
  }
  const std::string summary = pack.dir + "/" + kSummaryName;
  if (present(summary)) {
    TRY(std::string bytes, text::read_file(summary));
    TRY(PackSummary s, parse_summary(bytes, summary, &pack.warnings));
    pack.summary = std::move(s);
    pack.contents.emplace_back(kSummaryName, std::move(bytes));
    cross_check(pack, &pack.warnings);
  }
  return {};
}

}  // namespace

Result<Pack> load(const std::string& dir) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(dir.c_str(), nullptr), &std::free);
  if (!real) {
    if (errno == ENOENT || errno == ENOTDIR) return fail(dir, 0, "prompts directory not found");
    return fail(dir, 0, std::string("cannot resolve prompts directory: ") + std::strerror(errno));
  }
  Pack pack;
  pack.dir = real.get();
  struct stat st {};
  if (::stat(pack.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(dir, 0, "not a directory");
  }
  pack.run_id = std::filesystem::path(pack.dir).filename().string();

  TRY_VOID(list_category_files(dir, &pack));
  for (const CategoryFile& f : pack.files) {
    TRY(std::string bytes, text::read_file(f.path));
    auto tasks = parse_category(bytes, f.name, f.category);
    if (!tasks) {
      Error e = std::move(tasks).error();
      if (e.file == f.name) e.file = f.path;  // the user's view: the full path
      return fail(std::move(e));
    }
    for (PackTask& t : *tasks) pack.tasks.push_back(std::move(t));
    pack.contents.emplace_back(f.name, std::move(bytes));
  }

  TRY_VOID(read_readme_and_summary(&pack));
  if (pack.files.empty() && !nothing_to_do(pack.summary)) {
    return fail(dir, 0,
                "no category file (expected one of not_implemented.md, missing_tests.md, "
                "missing_code.md, symbol_issue(s).md, content_issue(s).md, naming_issue(s).md)");
  }
  std::sort(pack.contents.begin(), pack.contents.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return pack;
}

}  // namespace smartspec::pack
