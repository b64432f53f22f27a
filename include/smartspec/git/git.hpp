// The only module that includes <git2.h>. Object ids cross this boundary as
// 40-hex strings, never as libgit2 pointers (a git_commit* looked up through
// one handle is dropped as a parent when committing through another).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smartspec/util/result.hpp"
#include "smartspec/verify/file_source.hpp"

struct git_repository;

namespace smartspec::git {

using Oid = std::string;  // 40 lower-case hex digits

// Error::code values (util's errc list).
inline constexpr int kRefMoved =
    errc::kRefMoved;  // compare-and-swap lost: the ref is not where expected
inline constexpr int kNotFound = errc::kNotFound;  // revision / ref / path does not exist
inline constexpr int kLockHeld =
    errc::kLockHeld;  // RepoLock: another live run holds it (Error::exit = kLocked)
inline constexpr int kUnsupported =
    errc::kUnsupported;  // repository libgit2 1.5.1 cannot open (message says the fix)

// Initialises libgit2 for the process and honours GIT_CONFIG_NOSYSTEM as git
// does (libgit2 ignores it), so tests and CI jobs that isolate git from
// /etc/gitconfig isolate this tool too. Idempotent.
void init_library();

struct OpenOptions {
  std::string repo_root;  // --repo-root; empty = discover from the current directory
  // Honour GIT_DIR / GIT_WORK_TREE / GIT_COMMON_DIR as git does when started from a hook.
  // GIT_INDEX_FILE is ignored: the tool never reads or writes the caller's index.
  bool from_env = true;
};

struct Identity {
  std::string name;
  std::string email;
  std::int64_t time = 0;  // seconds since epoch
  int offset_minutes = 0;
};

class Repository {
 public:
  // Opens the repository containing repo_root (or the cwd), also inside a git
  // hook and inside a linked worktree. Unsupported repositories (partialClone,
  // worktreeConfig, sha256, index.skipHash; ownership) get a one-line error
  // naming the fix (Error::code = kUnsupported).
  static Result<Repository> open(const OpenOptions& opts);
  // A second handle on the same repository (git directory, working tree),
  // for a thread of its own: libgit2 handles are not shared across threads.
  [[nodiscard]] Result<Repository> reopen() const;

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  [[nodiscard]] std::string workdir()
      const;  // user's working tree root, no trailing '/'; "" if bare
  [[nodiscard]] std::string git_dir() const;  // this worktree's git dir, no trailing '/'
  [[nodiscard]] std::string common_dir()
      const;  // the shared git dir (objects, refs), no trailing '/'
  [[nodiscard]] bool is_bare() const;

  // Commits and trees.
  Result<Oid> resolve_commit(const std::string& rev) const;  // "HEAD", "main", oid, "x~1"
  Result<Oid> tree_of(const Oid& commit) const;
  Result<std::vector<Oid>> parents(const Oid& commit) const;
  Result<std::string> message(const Oid& commit) const;
  // Current branch of the user's worktree ("refs/heads/main"), nullopt when detached/unborn.
  [[nodiscard]] std::optional<std::string> head_branch() const;

  // Refs. update_ref is a compare-and-swap: expected == nullopt means "must not
  // exist"; a ref elsewhere → Error::code = kRefMoved.
  [[nodiscard]] std::optional<Oid> read_ref(const std::string& name) const;
  Result<void> update_ref(const std::string& name, const Oid& target,
                          const std::optional<Oid>& expected, const std::string& log_message);
  Result<void> delete_ref(const std::string& name, const std::optional<Oid>& expected);
  // (name, target) of every ref whose name starts with prefix, sorted by name.
  [[nodiscard]] std::vector<std::pair<std::string, Oid>> list_refs(const std::string& prefix) const;

  // Files in trees. `tree_or_commit` may be either.
  enum class Kind { kMissing, kFile, kExecutable, kSymlink, kDir, kSubmodule };
  struct Entry {
    Kind kind = Kind::kMissing;
    Oid oid;  // blob/tree id
    std::uint32_t mode = 0;
  };
  [[nodiscard]] Entry entry(const Oid& tree_or_commit, const std::string& path) const;
  [[nodiscard]] std::optional<std::string> read_file(const Oid& tree_or_commit,
                                                     const std::string& path) const;
  Result<Oid> write_blob(std::string_view bytes);

  // Builds a new tree from `base_tree` ("" = empty) plus changes
  // (git_tree_create_updated): cost grows with the changed paths, not with the
  // tree. Removing an absent path is a no-op; directories left empty vanish; a
  // file may become a directory and back.
  struct Change {
    std::string path;
    std::optional<std::string> content;  // nullopt = delete the path
    std::uint32_t mode = 0100644;        // 0100644, 0100755, 0120000 (symlink: content = target)
  };
  Result<Oid> update_tree(const Oid& base_tree, const std::vector<Change>& changes);

  // Paths (files) that differ between two trees (either may be "" = empty tree).
  Result<std::vector<std::string>> changed_paths(const Oid& tree_a, const Oid& tree_b) const;

  // Author/committer: GIT_AUTHOR_*/GIT_COMMITTER_* environment, then user.name/
  // user.email from config, then the fixed fallback "smartspec-batch
  // <smartspec-batch@localhost>"; GIT_*_DATE honoured (as git parses it: ISO-8601 or "@secs
  // +zone").
  [[nodiscard]] Identity author() const;
  [[nodiscard]] Identity committer() const;
  // Writes a commit object (no ref moves).
  Result<Oid> create_commit(const Oid& tree, const std::vector<Oid>& parents,
                            const std::string& message);

  // Notes: read, and set with compare-and-swap on the notes ref (retried).
  [[nodiscard]] std::optional<std::string> read_note(const std::string& notes_ref,
                                                     const Oid& target) const;
  Result<void> set_note(const std::string& notes_ref, const Oid& target, const std::string& text);

  // SHA-1 hex of arbitrary bytes (as a blob), for the pack digest.
  static Oid hash(std::string_view bytes);

  // Attributes: the line ending git would check `path` out with ("\n" or "\r\n"),
  // from .gitattributes in `tree_or_commit` and core.autocrlf/core.eol. Given a
  // commit, only its .gitattributes count (plus info/attributes and the system
  // file); given a bare tree id, the working tree's and index's are used.
  [[nodiscard]] std::string checkout_eol(const Oid& tree_or_commit, const std::string& path) const;
  // The bytes git would store for a working-tree file at `path` (git's
  // "clean" line-ending conversion, convert.c): CRLF → LF for a text file —
  // `text`/`eol` set in `commit`'s .gitattributes, or auto-detected text under
  // text=auto or core.autocrlf true/input — except that under auto a file
  // whose blob in `commit` already holds CR is stored as it is. Other filters
  // (ident, filter drivers) are not run.
  [[nodiscard]] std::string to_odb(const Oid& commit, const std::string& path,
                                   std::string bytes) const;
  // True when .gitattributes says filter=lfs for path.
  [[nodiscard]] bool is_lfs(const Oid& tree_or_commit, const std::string& path) const;

  [[nodiscard]] git_repository* raw() const { return repo_; }

 private:
  explicit Repository(git_repository* r) : repo_(r) {}
  git_repository* repo_ = nullptr;
};

// The per-repository lock: <common_dir>/smartspec/lock holding pid, process
// start time and run id. A lock of a dead process is taken over (with a
// warning through `stale`). Released by the destructor.
class RepoLock {
 public:
  struct Holder {
    long pid = 0;
    std::string run_id;
  };
  // Error: exit kLocked, code kLockHeld, message
  // "another run holds the lock: run <id> (pid <n>)". A stale lock taken over is
  // reported through `stale`.
  static Result<RepoLock> acquire(const Repository& repo, const std::string& run_id,
                                  std::optional<Holder>* stale = nullptr);
  static std::optional<Holder> holder(const Repository& repo);  // live holder, if any
  RepoLock(RepoLock&&) noexcept;
  RepoLock& operator=(RepoLock&&) noexcept;
  ~RepoLock();
  void release();

 private:
  RepoLock() = default;
  std::string path_;     // "" once released
  std::string content_;  // what this lock wrote; release() removes only that
};

// The scratch repository: a repository of its own, outside the user's .git,
// under <cache>/smartspec-batch/<key>/ (<cache> = $XDG_CACHE_HOME when
// absolute, else $HOME/.cache; <key> = the repository's directory name and 16
// hex digits of a hash of the real path of its git directory). The worktree
// is <base>/<name>, its git directory <base>/<name>.git (own refs, config,
// index, stash, an empty hooks directory), the user's objects reachable
// read-only through objects/info/alternates. HEAD detached. Lazy:
// materialize() writes only the paths asked for. Whatever git commands a
// process runs there, the user's refs, config, hooks, stash, index and
// working tree are another repository's. Its control files (config,
// alternates, info/, hooks/, the .git link) are rewritten before every use.
class Scratch {
 public:
  // Opens the scratch `name` of `repo`, or creates it (no checkout). Cleans
  // debris of an interrupted creation, and removes the linked worktree of
  // earlier versions (<common_dir>/smartspec/worktrees/<name>).
  static Result<Scratch> open(Repository& repo, const std::string& name);
  // Existing scratches of this repository: (name as given to open(), path),
  // sorted by name.
  static std::vector<std::pair<std::string, std::string>> list(const Repository& repo);
  // <cache>/smartspec-batch/<key> for this repository (not created).
  static Result<std::string> base_dir(const Repository& repo);

  [[nodiscard]] const std::string& path() const { return path_; }        // the worktree
  [[nodiscard]] const std::string& git_dir() const { return git_dir_; }  // its git directory
  [[nodiscard]] const std::string& name() const { return name_; }

  // Makes exactly `paths` match `commit`'s tree in the worktree (writes
  // files, removes paths absent from it); touches nothing else.
  Result<void> materialize(const Oid& commit, const std::vector<std::string>& paths);
  // Full checkout of `commit`; when the worktree is already a full checkout of
  // another commit, only the paths that differ are touched. Sets the worktree's
  // HEAD (detached) to commit and resets its index to the commit's tree.
  Result<void> checkout_full(const Oid& commit);
  [[nodiscard]] bool is_full() const;                    // a full checkout is present
  [[nodiscard]] std::optional<Oid> full_commit() const;  // which commit it is at
  // The clean stamp (<worktree>.clean): the checkout's files are exactly its
  // full commit's, put back by the tool with no process run in it since (the
  // tool drops the stamp before it starts one, and a killed run never writes
  // it). A stamped checkout need not be compared whole with its commit once
  // per invocation. checkout_full carries a valid stamp to the new commit.
  Result<void> stamp_clean();
  Result<void> drop_clean_stamp();
  [[nodiscard]] bool clean_stamped() const;  // stamped, and the stamp names the full commit

  // Records why the scratch is kept (its git directory's `description`);
  // the same reason again writes nothing. unlock() drops it.
  Result<void> lock(const std::string& reason);
  Result<void> unlock();
  // Removes worktree and git directory.
  Result<void> remove();

 private:
  Repository* repo_ = nullptr;
  std::string name_;
  std::string path_;
  std::string git_dir_;
};

// A verify::FileSource over a commit's tree (no checkout).
std::unique_ptr<verify::FileSource> tree_source(const Repository& repo, const Oid& commit);

}  // namespace smartspec::git

// ---------------------------------------------------------------- worktree status
// What a process (the agent executor, issue 7) changed in a checkout.
namespace smartspec::git {

struct WorktreeChange {
  enum class Status {
    kAdded,       // not in the tree (untracked or added)
    kModified,    // content, mode or type (file ↔ symlink) differs
    kDeleted,     // in the tree, gone from the worktree
    kIgnored,     // not in the tree and ignored (only with include_ignored)
    kUnreadable,  // present but cannot be read
  };
  std::string path;  // relative, '/' separated; a directory git does not enter
                     // (a nested repository, an ignored directory) ends with '/'
  Status status = Status::kModified;
  // The worktree's mode: 0100644, 0100755, 0120000, 040000 (a directory
  // reported as a whole), 0160000; 0 when deleted.
  std::uint32_t mode = 0;
  // For added/modified files and symlinks: what `git add` would store (clean
  // filters applied; a symlink's target). nullopt otherwise.
  std::optional<std::string> content;
  bool operator==(const WorktreeChange&) const = default;
};

// The differences between `tree` (a tree or commit id) and the files of the
// checkout at `worktree` (a Scratch of `repo`: anything else is refused
// with "not a checkout of repository <common_dir>"), regardless of its index or HEAD: untracked
// files included and untracked directories recursed, ignored files left out
// unless `include_ignored` (then reported as kIgnored, directories whole),
// submodules not entered. A file replaced by a directory is a deletion plus
// additions. Special files (FIFOs, sockets, devices) are not seen: libgit2's
// directory walk skips them. Sorted by path. Blobs of the added/modified
// files are written to the object database.
Result<std::vector<WorktreeChange>> worktree_changes(const Repository& repo,
                                                     const std::string& worktree, const Oid& tree,
                                                     bool include_ignored = false);

}  // namespace smartspec::git

// ------------------------------------------------------------------------
// Run management (src/git/ops_git.cpp): what rollback, land and hook need.
namespace smartspec::git {

// One commit re-applied in memory (cherry-pick or revert into an index).
struct Replay {
  Oid commit;                          // the new commit; "" when there are conflicts
  std::vector<std::string> conflicts;  // conflicting paths, sorted; non-empty = nothing written
};

// Re-applies the change `commit` made against its first parent on top of
// `onto` (git_cherrypick_commit into an in-memory index). The new commit keeps
// the message and author of `commit`; the committer is repo.committer(). Moves
// no ref. A merge commit is refused.
Result<Replay> cherry_pick(Repository& repo, const Oid& commit, const Oid& onto);
// Adds the inverse of `commit` on top of `onto` (git_revert_commit) with
// `message`; author and committer are the repository's identity. Moves no ref.
Result<Replay> revert(Repository& repo, const Oid& commit, const Oid& onto,
                      const std::string& message);
// Three-way merge of two trees that both started from `ancestor`
// (git_merge_trees, default options: no rename detection, no favouring of a
// side). `tree` is the merged tree, written to the object database; empty
// with the conflicting paths (sorted) when they conflict.
struct TreeMerge {
  Oid tree;
  std::vector<std::string> conflicts;
};
Result<TreeMerge> merge_trees(Repository& repo, const Oid& ancestor, const Oid& ours,
                              const Oid& theirs);
// True when `ancestor` is `descendant` or one of its ancestors.
Result<bool> is_ancestor(const Repository& repo, const Oid& ancestor, const Oid& descendant);

// The user's local changes touching `paths` (each a file or a directory
// prefix): "<path>: <what>" for staged, unstaged, untracked and ignored files,
// sorted. Empty = nothing of the user's is in the way.
Result<std::vector<std::string>> local_changes(const Repository& repo,
                                               const std::vector<std::string>& paths);
// Safe checkout of `paths` from `commit` into the user's working tree and
// index (GIT_CHECKOUT_SAFE against `baseline`, ignored files never
// overwritten). On a conflict nothing is written and the error names a path.
Result<void> checkout_paths(Repository& repo, const Oid& commit, const Oid& baseline,
                            const std::vector<std::string>& paths);

// The directory git runs this repository's hooks from: core.hooksPath (a
// relative value is relative to the working tree root, "~/" expanded), else
// <common_dir>/hooks.
std::string hooks_dir(const Repository& repo);

// Where that directory comes from, for `hook install`, which must not change
// hooks other people rely on without being told to.
struct HooksLocation {
  std::string dir;            // as hooks_dir()
  std::string configured_in;  // "" (the default <common_dir>/hooks), else the config
                              // level that sets core.hooksPath: "local",
                              // "global", "xdg", "system", "programdata", "app"
  bool tracked = false;       // the directory lies in the working tree and the
                              // repository's index tracks files under it
};
HooksLocation hooks_location(const Repository& repo);

}  // namespace smartspec::git

// ------------------------------------------------------------------------
// Commit hooks (src/git/worktree_index.cpp).
namespace smartspec::git {

// Makes the index of the checkout at `worktree` hold `tree_or_commit`
// (stat data is refreshed by git on its next status), so that hooks run there
// see exactly the unit's changes as staged against its HEAD.
Result<void> set_worktree_index(const Repository& repo, const std::string& worktree,
                                const Oid& tree_or_commit);

}  // namespace smartspec::git

// ------------------------------------------------------------------------
// Line endings fast path (src/git/eol.cpp).
namespace smartspec::git {

// True when no configuration (core.autocrlf/core.eol/core.attributesFile), no
// info/attributes and no global attributes file can change line endings: then
// only .gitattributes files in the tree can, and a path with none on its way
// checks out with "\n".
bool eol_settings_neutral(const Repository& repo);

}  // namespace smartspec::git

// ------------------------------------------------------------------------
// What a process must leave as it found it (src/git/user_state.cpp).
namespace smartspec::git {

// A fingerprint of what the user owns in `repo`: every ref except the
// tool's own (refs/smartspec/*, refs/notes/smartspec), HEAD, the config
// files, the hooks directory (hooks_dir() and .git/hooks), the stash reflog,
// the index (by its entries: a stat refresh is no change), and the working
// tree's files as git status lists them (tracked and untracked, not ignored)
// with their stat data. Name → fingerprint; a name is what a failure line
// shows ("refs/heads/main", ".git/config", ".git/hooks/pre-commit",
// "src/a.py (working tree)"). Paths under a `skip` directory (absolute)
// are left out. Costs a status of the working tree and small-file reads.
using UserState = std::map<std::string, std::string>;
Result<UserState> user_state(const Repository& repo, const std::vector<std::string>& skip = {});
// Names added, removed or changed between two snapshots, sorted.
std::vector<std::string> user_state_changes(const UserState& before, const UserState& after);

}  // namespace smartspec::git
