// set_worktree_index(): makes a checkout's own index hold a tree, so that
// processes run in it (the user's commit hooks) see the unit's changes as
// staged, exactly as `git commit` would show them.
#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

Result<void> set_worktree_index(const Repository& repo, const std::string& worktree,
                                const Oid& tree_or_commit) {
  TRY(RepoPtr wt, open_scratch(repo, worktree));
  TreePtr tree = tree_for(wt.get(), tree_or_commit);
  if (!tree) tree = tree_for(repo.raw(), tree_or_commit);
  if (!tree) return fail_code("no tree " + tree_or_commit, kNotFound);
  git_index* index_raw = nullptr;
  int rc = git_repository_index(&index_raw, wt.get());
  if (rc != 0) return fail_git("cannot open the worktree's index", rc);
  IndexPtr index(index_raw);
  rc = git_index_read_tree(index.get(), tree.get());
  if (rc == 0) rc = git_index_write(index.get());
  if (rc != 0) return fail_git("cannot write the worktree's index", rc);
  return {};
}

}  // namespace smartspec::git
