// The one lexical rule for a path a prompt pack (or an agent) names inside a
// worktree: the path must be one git itself accepts with core.protectHFS and
// core.protectNTFS both on (git's verify_path, whatever the platform), and
// one no process can mistake for an option. Pure: strings in, a reason out.
// exec::confine adds the filesystem half (no symbolic link on the way); the
// planner shows the same reasons at plan time.
#pragma once

#include <string>
#include <string_view>

namespace smartspec::paths {

// "" when `rel` is acceptable, else why not (without the path itself):
//   ""                        "empty path refused"
//   NUL byte                  "NUL byte in path refused"
//   other control character   "control character in path refused"
//   "/x"                      "absolute path refused"
//   "a\\b"                    "backslash in path refused"
//   "../x", "a/../x"          "'..' in path refused"
//   ".git/x", ".GIT/x"        "path inside .git refused"
//   ".git\u200c/x" (HFS+ ignores the character), "GIT~1/x", "git~2/x" (NTFS
//   8.3 short names), ".git./x", ".git /x" (NTFS drops trailing dots and
//   spaces), ".git::$INDEX_ALLOCATION/x" (an NTFS stream of .git)
//                             ".git look-alike refused: <component> (<why>)"
//   ".gitmodules." , "GITMOD~1", ".gitmodules/x" (git's fsck would read it as
//   .gitmodules)              ".gitmodules look-alike refused: <component> (<why>)"
//   "-x", "a/--y=z"           "path component starting with '-' refused: <component>"
//   ".", "./"                 "path names the worktree itself"
// Empty and "." components are ignored ("./a//b" is "a/b"). Components in
// the reasons are shown with control and invisible characters escaped.
std::string refusal(std::string_view rel);

// `s` with what a terminal would interpret or hide escaped: C0 controls and
// DEL as \n, \r, \t, \0, \xHH; C1 controls and invisible/bidirectional format
// characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+206F, U+FEFF) as \u{HHHH};
// bytes that are not UTF-8 as \xHH. A backslash stays a backslash.
std::string printable(std::string_view s);

}  // namespace smartspec::paths
