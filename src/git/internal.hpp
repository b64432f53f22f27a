// Private helpers of the git module: owners for libgit2 handles, error
// conversion, object lookups by hex id. Nothing here leaves the module.
#pragma once

#include <git2.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "smartspec/git/git.hpp"

namespace smartspec::git::detail {

// One deleter template + one alias per libgit2 type.
template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
template <class T, void (*Free)(T*)>
using Ptr = std::unique_ptr<T, Deleter<T, Free>>;

using RepoPtr = Ptr<git_repository, git_repository_free>;
using ObjectPtr = Ptr<git_object, git_object_free>;
using CommitPtr = Ptr<git_commit, git_commit_free>;
using TreePtr = Ptr<git_tree, git_tree_free>;
using TreeEntryPtr = Ptr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = Ptr<git_blob, git_blob_free>;
using RefPtr = Ptr<git_reference, git_reference_free>;
using RefIterPtr = Ptr<git_reference_iterator, git_reference_iterator_free>;
using SignaturePtr = Ptr<git_signature, git_signature_free>;
using ConfigPtr = Ptr<git_config, git_config_free>;
using DiffPtr = Ptr<git_diff, git_diff_free>;
using NotePtr = Ptr<git_note, git_note_free>;
using WorktreePtr = Ptr<git_worktree, git_worktree_free>;
using IndexPtr = Ptr<git_index, git_index_free>;

// libgit2 is initialised once per process and never shut down by this module.
void ensure_init();

// "<what>: <libgit2's last message>" on one line (git_error_last() may be NULL).
std::string describe(const std::string& what, int rc);
inline tl::unexpected<Error> fail_git(const std::string& what, int rc, int code = 0) {
  Error e{{}, 0, describe(what, rc)};
  e.code = code;
  return tl::unexpected<Error>(std::move(e));
}
inline tl::unexpected<Error> fail_code(std::string message, int code) {
  Error e{{}, 0, std::move(message)};
  e.code = code;
  return tl::unexpected<Error>(std::move(e));
}

// "<what> <id> does not exist" (kNotFound).
inline tl::unexpected<Error> bad_id(const std::string& what, const Oid& id) {
  return fail_code(what + " " + id + " does not exist", kNotFound);
}

std::optional<git_oid> parse_oid(const std::string& hex);
Oid to_hex(const git_oid& oid);
std::string strip_slash(const char* path);

// Peels the object `id` (commit or tree) to its tree; nullptr when it is neither.
TreePtr tree_for(git_repository* repo, const Oid& id);
CommitPtr lookup_commit(git_repository* repo, const Oid& id);

// Opens the scratch checkout at `worktree` (a Scratch::path() of `repo`)
// after rewriting its control files; workdir and git directory checked. Any
// other directory: error "not a checkout of repository <common_dir>".
Result<RepoPtr> open_scratch(const Repository& repo, const std::string& worktree);

// Paths (files) that differ between trees `a` and `b` (either may be null =
// empty tree), sorted, through the handle `repo` (Repository::changed_paths).
Result<std::vector<std::string>> tree_diff_paths(git_repository* repo, git_tree* a, git_tree* b);

// Makes the entries of `paths` in `index` those of `tree` (removals first, so
// a file can become a directory). False when libgit2 refuses one: the caller
// then reloads the whole tree (src/git/worktree_index.cpp).
bool update_index_paths(git_index* index, git_tree* tree, const std::vector<std::string>& paths);

// Repository::Kind of a tree entry's file mode.
Repository::Kind kind_of(git_filemode_t mode);

}  // namespace smartspec::git::detail
