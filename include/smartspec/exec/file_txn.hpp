// A file transaction over a worktree directory: every path is confined
// (confine.hpp), its original state (bytes + mode, or absence) is recorded
// before the first change, and rollback() puts every byte and mode back and
// removes the directories it created. Explicit commit(); the destructor rolls
// back when neither commit() nor rollback() ran.
//
// One FileTxn per task: a failed task's own changes are undone without
// touching the tasks before it (docs/DESIGN.md "Execution").
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::exec {

enum class Change { kCreated, kModified, kDeleted };
std::string_view change_name(Change c);  // "created" | "modified" | "deleted"

struct Touched {
  std::string path;  // normalized relative path
  Change change = Change::kModified;
  bool operator==(const Touched&) const = default;
};

class FileTxn {
 public:
  explicit FileTxn(std::string root);
  ~FileTxn();
  FileTxn(const FileTxn&) = delete;
  FileTxn& operator=(const FileTxn&) = delete;

  [[nodiscard]] const std::string& root() const { return root_; }

  // Current bytes of a path; nullopt when absent. Errors: refused path, not a
  // regular file, unreadable.
  Result<std::optional<std::string>> read(const std::string& rel) const;

  // Replaces (or creates, with parent directories) a file. An existing file
  // keeps its mode; a new one gets `mode` (default 0644, minus the umask).
  Result<void> write_file(const std::string& rel, std::string_view bytes, mode_t mode = 0644);
  // Appends bytes to an existing file (error when absent).
  Result<void> append(const std::string& rel, std::string_view bytes);
  // Moves a file; the target must not exist. Content and mode are unchanged,
  // so git sees a rename.
  Result<void> rename(const std::string& from, const std::string& to);
  // Deletes a file (error when absent).
  Result<void> remove(const std::string& rel);

  // The paths whose state differs from the recorded original, sorted by path.
  [[nodiscard]] std::vector<Touched> touched() const;

  // Keeps the changes; the destructor then does nothing.
  void commit();
  // Restores every recorded path exactly and removes created directories that
  // are empty. Idempotent. Errors name the first path it could not restore
  // (it still tries the others).
  Result<void> rollback();

 private:
  struct Original {
    bool existed = false;
    std::string bytes;
    mode_t mode = 0;
  };
  // Confines rel and records its original state once. Returns the absolute path.
  Result<std::string> prepare(const std::string& rel, std::string* normalized = nullptr);
  Result<void> make_parents(const std::string& rel);

  std::string root_;
  std::map<std::string, Original> originals_;  // by normalized rel
  std::vector<std::string> order_;             // recording order
  std::vector<std::string> created_dirs_;      // absolute, in creation order
  bool done_ = false;
};

}  // namespace smartspec::exec
