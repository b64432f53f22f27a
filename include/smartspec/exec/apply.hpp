// The apply executor (docs/DESIGN.md "Execution", issue 4): does what each
// category's prompt asks with the content the pack gives, without destroying
// work. Files are created whole; symbol/content issues only ADD to an existing
// file; naming issues become a rename. It works on a directory on disk (the
// scratch worktree) through a FileTxn; the engine builds the commit from
// FileTxn::touched().
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smartspec/exec/file_txn.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/model/model.hpp"
#include "smartspec/plan/plan.hpp"

namespace smartspec::exec {

enum class TaskStatus {
  kSucceeded,
  kFailed,
  kSkippedNeedsAgent,  // nothing to apply: empty fences, skeleton only, no path
  kAlreadyPresent,     // the required symbol/content (or renamed file) is already there
  kRefused,            // not written on purpose: path refused, template artefact, would overwrite
};
// "succeeded" | "failed" | "skipped" | "already_present" | "refused"
std::string_view status_name(TaskStatus s);

struct TaskOutcome {
  TaskStatus status = TaskStatus::kSucceeded;
  std::string error;          // one line, when failed/skipped
  std::string file;           // the file the error is about (worktree-relative or pack file)
  int line = 0;               // 0 when unknown
  std::string suggested_fix;  // the pack's first suggestion, else a hint for the failure
  std::vector<std::string> files_created;
  std::vector<std::string> files_modified;
  std::vector<std::pair<std::string, std::string>> files_renamed;  // from → to
  std::vector<std::string> skeletons;  // files written from TODO-only skeletons (not in notes)
  std::vector<std::string> notes;      // "already present: src/a.py", "python3 not found: ..."
  bool operator==(const TaskOutcome&) const = default;
};

struct ApplyOptions {
  std::string root;                 // the worktree directory (FileTxn's root)
  bool overwrite = false;           // --overwrite: replace existing files with different content
  bool apply_skeletons = false;     // --apply-skeletons: write TODO-only skeletons
  bool syntax_check = true;         // check written files (syntax.hpp)
  ExtraChecks extra_checks;         // --check EXT=CMD
  SyntaxSession* syntax = nullptr;  // reused checker processes (a unit's); null = one-shot
  // Line ending for a file the task creates ("\n" or "\r\n"), as git would check
  // it out (.gitattributes, core.autocrlf). Null → "\n".
  std::function<std::string(const std::string& rel)> line_ending;
};

// Applies one planned task. On failure every change it made is undone
// (txn.rollback()) before it returns; on success the txn holds the changes and
// the caller commits it. `pack_task` is Pack::tasks[task.pack_index] (symbol,
// contains, suggestions, artefacts, source).
//
// Per category:
//  * not_implemented / missing_tests / missing_code: each file with content is
//    created; an existing file with other content fails "<path>: exists, would
//    overwrite" unless overwrite; identical content is a no-op.
//  * symbol_issue / content_issue: the file must exist ("<path>: file not found");
//    when the required symbol/content (or the snippet itself) is already there,
//    nothing is written (already_present); else the snippet is appended — for
//    Python its leading imports go after the file's top import block and the
//    rest at the end — never rewriting a line, keeping the file's line endings
//    and final-newline convention.
//  * naming_issue: the single candidate is renamed to the expected path,
//    content unchanged; none or several → failure listing the candidates.
// Template artefacts in content to write ({{else}}, {{/if}} ...) fail the task
// before anything is written. Written files are syntax-checked at the end.
TaskOutcome apply_task(const plan::PlannedTask& task, const PackTask& pack_task,
                       const ApplyOptions& options, FileTxn& txn);

// --- helpers, exposed for tests and the agent executor ---

// Where a Python snippet's imports go: the byte offset just after the file's
// top-level import block (after a module docstring, comments, `from __future__`),
// or after the leading docstring/comments when it has no import.
std::size_t python_import_insert_offset(std::string_view source);

// Adds `snippet` (LF or CRLF) to `existing` as apply_task does; `python` selects
// the import placement. Existing bytes are kept; the result uses the file's
// line ending.
std::string add_snippet(std::string_view existing, std::string_view snippet, bool python);
// The same, with shell rules when `shell`: the snippet's shebang and `set`
// lines join the script's header when missing, the rest goes before a final
// top-level `exit` (else at the end).
std::string add_snippet(std::string_view existing, std::string_view snippet, bool python,
                        bool shell);
// What apply_task uses: the rules of `path`'s language (Python, shell,
// JavaScript/TypeScript: leading imports after the file's import block, never
// twice; else at the end). `lang` is the fence's tag, for paths without an
// extension.
std::string add_snippet_for(const std::string& path, std::string_view existing,
                            std::string_view snippet, const std::string& lang);

// Whether `symbol` occurs in `text` as a whole word: not preceded or followed
// by an identifier character.
bool contains_symbol(std::string_view text, std::string_view symbol);

}  // namespace smartspec::exec
