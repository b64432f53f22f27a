// The native evidence verifier: checks every accepted `evidence:` line of a
// tasks.md against a FileSource and classifies each unverified task, with the
// rules, reasons, categories and suggestion texts of SmartSpec's Python
// verifier (verify_evidence_enhanced.py v6), plus the per-task fields the
// prompter reads (priority, checkbox_state, code_path, ... similar_files).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/verify/file_source.hpp"

namespace smartspec::verify {

// A FileSource over a directory on disk. lstat based: a symlink counts only
// when it resolves inside the root (then as what it points to); symlinked
// directories are not listed (like Python's rglob, which does not descend
// into them), so listings never leave the root or loop.
//
// python_compat: listings in the directory's own order (os.scandir's, as
// Python's rglob sees it) instead of name order; a symlink leading out of
// the root exists as what it points to (stat only) but is never read or
// listed: its text is empty, as when Python cannot read a file.
class DirSource final : public FileSource {
 public:
  explicit DirSource(std::string root, bool python_compat = false);
  std::string resolve(const std::string& rel, bool absolute) override;
  Kind kind(const std::string& rel) override;
  std::optional<std::string> read(const std::string& rel, std::size_t max_bytes) override;
  std::vector<Entry> list(const std::string& rel) override;
  std::optional<std::uint64_t> size(const std::string& rel) override;
  [[nodiscard]] const std::string& root() const { return root_; }

 private:
  // Absolute path of rel when it (after resolving symlinks) stays inside the root.
  std::optional<std::string> inside(const std::string& rel) const;
  std::string root_;       // as given, no trailing '/'
  std::string real_root_;  // realpath of root_
  bool compat_ = false;
};

struct Options {
  // Exactly the Python verifier's verdicts, its bugs included, as far as
  // that needs no read outside the repository (docs/verify.md, "Deliberate
  // differences"). Pair with tasks::ParseOptions::python_compat and
  // DirSource(root, true).
  bool python_compat = false;
  std::size_t max_read_bytes = 2'000'000;  // text read per file
  std::size_t max_scan_files = 2'500;      // files read by one directory check
  double similar_threshold = 0.6;          // difflib ratio of file names
  std::size_t max_similar = 5;
  // For callers that read only verdicts (verified, each check's ok, reason
  // and existence), such as a run's own verifications: no similar-file search
  // for a missing path (its `similar` stays empty, so no category says
  // naming_issue and no suggestion names a similar file). Verdicts and
  // reasons are the same either way; a missing path then costs one lookup
  // instead of a walk of its directory's subtree.
  bool verdicts_only = false;
};

// Categories in the Python tool's order (its ProblemCategory enum).
inline constexpr std::array<std::string_view, 7> kCategories = {
    "not_implemented", "missing_tests", "missing_code", "naming_issue",
    "symbol_issue",    "content_issue", "verified"};

struct SimilarFile {
  std::string path;  // relative to the root
  double ratio = 0;  // difflib.SequenceMatcher(None, target_name, name).ratio()
  bool operator==(const SimilarFile&) const = default;
};

struct EvidenceCheck {
  Evidence evidence;
  std::string path;  // evidence path as written (normalised by the tasks reader)
  bool ok = false;
  std::string
      reason;  // the Python tool's text: "matched", "file not found", "symbol not found" ...
  bool exists = false;                // the path is an existing, allowed file or directory
  std::optional<std::uint64_t> size;  // when it is a file
  std::vector<SimilarFile> similar;   // when it does not exist: best first, at most max_similar
  bool operator==(const EvidenceCheck&) const = default;
};

struct TaskResult {
  std::string id;
  std::string title;
  int line = 0;
  bool checked = false;
  bool verified = false;
  std::string category;  // one of kCategories
  int priority = 0;      // 1..4 for unverified tasks (priority_of), 0 when verified
  // Code checks, then test, docs, ui (each in file order): the Python tool's order.
  std::vector<EvidenceCheck> checks;
  int code_evidence_count = 0;
  int test_evidence_count = 0;
  std::vector<std::string> suggestions;
  // What the prompter reads: from the first code / test evidence.
  std::string checkbox_state;  // "x" or " "
  std::optional<std::string> code_path, test_path, code_symbol, test_symbol, code_contains,
      test_contains;
  std::vector<SimilarFile> similar_files;  // of the failing evidence, de-duplicated
  bool operator==(const TaskResult&) const = default;
};

struct Totals {
  int tasks = 0;
  int verified = 0;
  int not_verified = 0;
  int marked_done_but_failed = 0;
  bool operator==(const Totals&) const = default;
};

struct Summary {
  std::vector<TaskResult> tasks;
  Totals totals;
  std::vector<std::pair<std::string, int>> by_category;  // every category, kCategories order
  // Missing paths of failing evidence, most frequent first (stable), at most 10.
  std::vector<std::pair<std::string, int>> most_common_missing_files;
  [[nodiscard]] const TaskResult* find(std::string_view id) const;
};

Summary verify(const TasksDoc& doc, FileSource& source, const Options& options = {});

// 1 when checked and unverified; else 2 not_implemented/missing_tests/missing_code,
// 3 symbol_issue/content_issue, 4 naming_issue; 0 for "verified".
int priority_of(bool checked, std::string_view category);

// difflib.SequenceMatcher(None, a, b).ratio() over the code points of two
// UTF-8 strings (invalid bytes count as one code point each, as Python's
// surrogateescape does), including the autojunk heuristic for long b.
double similarity(std::string_view a, std::string_view b);

// True for paths the verifier never treats as existing (under .git, .venv,
// node_modules, __pycache__, .spec, .smartspec; names starting .env, id_rsa,
// id_ed25519).
bool is_denied(std::string_view rel);

// What the JSON and the report say about the run.
struct RunInfo {
  std::string run_id;        // "20261124_073153"
  std::string generated_at;  // "2026-11-24T07:31:53.710156"
  std::string tasks_path;    // as given
  std::string repo_root;     // may be empty
  std::string rev;           // commit id when verified against a commit; empty = working tree
  std::vector<Diagnostic> warnings;
};
// run_id and generated_at from the local clock.
RunInfo run_info_now(std::string tasks_path);

// summary.json: every field the Python tool writes, plus totals.total_tasks,
// per-task priority, checkbox_state, code/test path/symbol/contains,
// similar_files and the evidence results.
std::string to_json(const Summary& summary, const RunInfo& info);
// report.md in the Python tool's layout.
std::string to_markdown(const Summary& summary, const RunInfo& info);

}  // namespace smartspec::verify
