// What the parts of the scratch repository share (scratch.cpp: where it
// lives, open and remove; scratch_control.cpp: its control files;
// scratch_write.cpp: bringing its worktree to a commit; scratch_files.cpp:
// writing a tree's entries there without following a symlink). Private to the
// git module.
#pragma once

#include <git2.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "smartspec/git/git.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::git::detail {

inline tl::unexpected<Error> fail_path(const std::string& path, const std::string& what) {
  return fail(path, 0, what);
}

inline std::string errno_of(const std::string& what) { return what + ": " + std::strerror(errno); }

// A directory, not a symbolic link to one (lstat).
bool is_real_dir(const std::string& p);
// Why `rel` may not be written in a worktree (absolute, empty, '.' or '..'
// component, '.git' in any case); "" when it may.
std::string invalid_path(const std::string& rel);
// Removes root/rel without following symlinks, then its parents left empty.
Result<void> remove_path(const std::string& root, const std::string& rel);
// Writes the tree entry `te` at root/rel (a whole subtree for a directory).
Result<void> write_tree_entry(git_repository* repo, const std::string& root, const std::string& rel,
                              const git_tree_entry* te);
// Removes whatever is at `p` without following a symlink; absent is fine.
Result<void> remove_entry(const std::string& p);
// Makes `p` a regular file holding exactly `bytes`: nothing is written when it
// already does; otherwise a new file (created exclusively, never through a
// link) is renamed over it, so a link or hard link planted there is replaced,
// not written through.
Result<void> put_file(const std::string& p, const std::string& bytes);
// Rewrites everything in the scratch's git directory that decides where git
// (libgit2 or a process's git) reads and writes, and the worktree's .git
// link: whatever a process changed there, the tool then opens the scratch
// repository, with the user's objects as its alternate, and nothing else.
Result<void> ensure_control(const Repository& repo, const std::string& git_dir,
                            const std::string& worktree);

}  // namespace smartspec::git::detail
