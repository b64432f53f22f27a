// Path confinement: every path a prompt pack names is resolved inside the
// worktree, or refused (docs/DESIGN.md "Execution"). The check is lexical plus an
// lstat of every existing component, so nothing is ever written through a
// symbolic link or into git's storage.
#pragma once

#include <string>

#include "smartspec/util/result.hpp"

namespace smartspec::exec {

struct ConfinedPath {
  std::string abs;  // root + "/" + rel
  std::string rel;  // normalized: no "." or empty components, '/' separated
  bool operator==(const ConfinedPath&) const = default;
};

// Resolves the pack-named relative path `rel` inside `root` (an existing
// directory). Refused, with the path named in the one-line message
// ("<path>: <why>", the path shown through paths::printable):
//   * whatever paths::refusal refuses (util/path_rules.hpp: absolute, '..',
//     NUL and control characters, backslashes, .git and every look-alike git
//     rejects with core.protectHFS/protectNTFS, .gitmodules look-alikes,
//     components starting with '-'), with its reason — "" gives
//     "empty path refused" alone;
//   * link/x, link → "link/x: path through a symbolic link refused (link)"
//     when that component exists in root as a symlink (the last one included).
// "./a//b" is normalized to "a/b". The error's file is empty: the message names it.
Result<ConfinedPath> confine(const std::string& root, const std::string& rel);

}  // namespace smartspec::exec
