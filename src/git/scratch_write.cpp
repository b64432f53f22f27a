// Scratch repository: bringing its worktree to a commit (materialize: some
// paths; checkout_full: all of it, and its index and HEAD). The files are
// written by scratch_files.cpp, never through a symlink.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "git/internal.hpp"
#include "git/scratch_internal.hpp"

namespace smartspec::git {

namespace fs = std::filesystem;
using namespace detail;

namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

Result<void> write_text(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) return fail_path(tmp, "cannot write");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail_path(path, errno_of("cannot write"));
  return {};
}

// Checks `tree` out against an empty baseline: every file of the commit is
// written, and anything else in the directory (files the tool or a process
// created) removed.
Result<void> force_checkout(git_repository* wt_raw, git_tree* tree, const Oid& commit,
                            const std::string& path) {
  git_index* empty = nullptr;
  int rc = git_index_new(&empty);
  if (rc != 0) return fail_git("cannot create index", rc);
  IndexPtr empty_owner(empty);
  git_checkout_options opts;
  git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
  opts.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
  opts.baseline_index = empty;
  rc = git_checkout_tree(wt_raw, reinterpret_cast<git_object*>(tree), &opts);
  if (rc != 0) return fail_git("cannot check out " + commit + " in " + path, rc);
  return {};
}

// The index equals the tree. After a move only the changed paths are
// updated (entries without stat data: the next comparison hashes those
// files); otherwise read_tree, which keeps the stat data of unchanged
// entries. Either way it must end equal to the tree, which its cached tree
// id confirms cheaply.
Result<void> sync_index(git_repository* wt_raw, git_tree* tree, bool incremental,
                        const std::vector<std::string>& changed, const std::string& path) {
  git_index* index = nullptr;
  int rc = git_repository_index(&index, wt_raw);
  if (rc != 0) return fail_git("cannot open index of " + path, rc);
  IndexPtr index_owner(index);
  bool updated = incremental && update_index_paths(index, tree, changed);
  git_oid written;
  if (updated &&
      (git_index_write_tree(&written, index) != 0 || !git_oid_equal(&written, git_tree_id(tree)))) {
    updated = false;
  }
  rc = updated ? 0 : git_index_read_tree(index, tree);
  if (rc == 0) rc = git_index_write(index);
  if (rc != 0) return fail_git("cannot write index of " + path, rc);
  return {};
}

}  // namespace

Result<void> Scratch::materialize(const Oid& commit, const std::vector<std::string>& paths) {
  git_repository* raw = repo_->raw();
  TreePtr tree = tree_for(raw, commit);
  if (!tree) return fail_code("commit " + commit + " does not exist", kNotFound);
  // The root itself is checked too: a process may have put a symbolic link
  // in its place, and nothing is ever written through one.
  if (!is_real_dir(path_))
    return fail_path(path_, "scratch worktree is missing or not a directory");
  for (const std::string& rel : paths) {
    std::string why = invalid_path(rel);
    if (!why.empty()) return fail(rel, 0, "refused path: " + why);
  }
  for (const std::string& rel : paths) {
    // The first ancestor that is not a directory in the tree decides: a
    // symlink (or file) there is materialized itself, so the caller's
    // confinement check sees it and nothing is written through it.
    std::string target = rel;
    TreeEntryPtr entry;
    for (std::size_t pos = rel.find('/'); pos != std::string::npos; pos = rel.find('/', pos + 1)) {
      const std::string prefix = rel.substr(0, pos);
      git_tree_entry* te = nullptr;
      if (git_tree_entry_bypath(&te, tree.get(), prefix.c_str()) != 0) break;  // absent
      TreeEntryPtr owner(te);
      if (git_tree_entry_filemode(te) != GIT_FILEMODE_TREE) {
        target = prefix;
        entry = std::move(owner);
        break;
      }
    }
    if (!entry) {
      git_tree_entry* te = nullptr;
      if (git_tree_entry_bypath(&te, tree.get(), target.c_str()) == 0) entry.reset(te);
    }
    if (!entry) {
      TRY_VOID(remove_path(path_, target));
    } else {
      TRY_VOID(write_tree_entry(raw, path_, target, entry.get()));
    }
  }
  return {};
}

bool Scratch::is_full() const { return full_commit().has_value(); }

std::optional<Oid> Scratch::full_commit() const {
  auto text = read_text(path_ + ".full");
  if (!text || !parse_oid(*text)) return std::nullopt;
  return text;
}

bool Scratch::clean_stamped() const {
  auto stamp = read_text(path_ + ".clean");
  auto full = full_commit();
  return stamp && full && *stamp == *full;
}

Result<void> Scratch::stamp_clean() {
  auto full = full_commit();
  if (!full) return drop_clean_stamp();
  return write_text(path_ + ".clean", *full);
}

Result<void> Scratch::drop_clean_stamp() { return remove_entry(path_ + ".clean"); }

Result<void> Scratch::checkout_full(const Oid& commit) {
  git_repository* raw = repo_->raw();
  CommitPtr target = lookup_commit(raw, commit);
  if (!target) return fail_code("commit " + commit + " does not exist", kNotFound);
  const std::string marker = path_ + ".full";
  const std::optional<Oid> current = full_commit();
  const bool was_clean = clean_stamped();
  TRY_VOID(drop_clean_stamp());
  // While the worktree is being changed it is not a known full checkout: if
  // this is interrupted, the next call does a complete (forced) checkout.
  std::error_code ec;
  fs::remove(marker, ec);

  TRY(RepoPtr wt_repo, open_scratch(*repo_, path_));
  git_repository* wt_raw = wt_repo.get();
  // Objects handed to the worktree's handle must be looked up through it
  // (the user's objects, through the alternates).
  git_tree* tree_raw = nullptr;
  int rc = git_tree_lookup(&tree_raw, wt_raw, git_commit_tree_id(target.get()));
  if (rc != 0) return fail_git("cannot read tree of " + commit, rc);
  TreePtr tree(tree_raw);

  bool incremental = false;
  std::vector<std::string> changed;
  if (current) {
    CommitPtr from = lookup_commit(raw, *current);
    if (from) {
      auto paths = repo_->changed_paths(to_hex(*git_commit_tree_id(from.get())),
                                        to_hex(*git_tree_id(tree.get())));
      if (paths) {
        TRY_VOID(materialize(commit, *paths));
        incremental = true;
        changed = std::move(*paths);
      }
    }
  }
  if (!incremental) TRY_VOID(force_checkout(wt_raw, tree.get(), commit, path_));
  TRY_VOID(sync_index(wt_raw, tree.get(), incremental, changed, path_));
  rc = git_repository_set_head_detached(wt_raw, git_commit_id(target.get()));
  if (rc != 0) return fail_git("cannot set HEAD of " + path_, rc);
  TRY_VOID(write_text(marker, commit));
  // Exactly the old commit's files, then exactly the paths that differ
  // rewritten: exactly the new commit's. (A forced checkout leaves what it
  // does not know of: no stamp.)
  if (was_clean && incremental) return stamp_clean();
  return {};
}

// The scratch is no longer registered with the user's repository, so there
// is nothing for git to lock; the reason is kept as the scratch repository's
// description (`cat <git dir>/description`), written only when it changes.

}  // namespace smartspec::git
