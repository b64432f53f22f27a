// Text helpers shared by every parser: files are untrusted, may be CRLF, may
// start with a BOM, may not be UTF-8.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::text {

// Offset of the first byte that is not valid UTF-8, or npos when all valid.
std::size_t invalid_utf8_offset(std::string_view s);

// 1-based line number of byte offset `pos` in `s`.
int line_of(std::string_view s, std::size_t pos);

// Removes a leading UTF-8 BOM.
std::string_view strip_bom(std::string_view s);

// One line of a document, without its terminator ("\n" or "\r\n").
struct Line {
  std::string_view text;
  int number;  // 1-based
};
// Splits into lines; a trailing "\r" before "\n" is dropped from text.
std::vector<Line> split_lines(std::string_view s);

std::string_view trim(std::string_view s);
std::string_view trim_left(std::string_view s);
std::string_view trim_right(std::string_view s);
bool starts_with_icase(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);
// Every "\r\n" as "\n"; a lone "\r" stays.
std::string crlf_to_lf(std::string_view s);

// bytes.decode("utf-8", errors="ignore"), as Python does it: every byte that is
// not part of a well-formed sequence is dropped (a truncated sequence as a whole).
std::string decode_utf8_ignore(std::string_view s);

// Reads a whole regular file. Errors (missing, directory, FIFO, unreadable,
// larger than max_bytes) name the file. Never blocks on a FIFO.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes = 256u << 20);

// Checks the bytes are UTF-8 (BOM allowed); error names file and line.
Result<void> require_utf8(std::string_view bytes, const std::string& path);

// A word for a POSIX shell (Python's shlex.quote): as is when made of the
// safe ASCII characters [A-Za-z0-9_@%+=:,./-], otherwise in single quotes
// ('"'"' for a quote inside); "" is ''. tasks::shell_split reads it back.
std::string shell_quote(std::string_view s);

// The first 7 characters of a commit id, as git's abbreviations ("" stays "").
std::string short_id(std::string_view commit);

// Writes all of `bytes` to `fd`, again after EINTR and short writes (the one
// write loop of the project). 0, or the errno of the write that failed (errno
// is left set to it; a write of nothing counts as EIO).
int write_all(int fd, std::string_view bytes);

// The one temporary-file-then-rename writer (issue 16). In the directory
// `dirfd` (AT_FDCWD: paths as given): removes a leftover `tmp`, creates it
// exclusively and never through a link with `mode` (umask applies), writes
// `bytes`, fsyncs it when `sync`, closes it and renames it over `name`. On
// failure the temporary is removed, errno is left set, and the step says
// what failed (kWrite includes fsync and close).
enum class ReplaceStep { kDone, kCreate, kWrite, kRename };
struct Replaced {
  ReplaceStep failed = ReplaceStep::kDone;
  int err = 0;
  explicit operator bool() const { return failed == ReplaceStep::kDone; }
};
Replaced replace_file_at(int dirfd, const std::string& tmp, const std::string& name,
                         std::string_view bytes, mode_t mode, bool sync);

// Writes atomically: temporary file in the same directory + rename.
Result<void> write_file_atomic(const std::string& path, std::string_view bytes);

// write_file_atomic of root/rel that never follows a symbolic link below
// `root`: each directory of `rel` is created when missing (0755) and must be
// a real directory, the file is created and renamed through directory file
// descriptors. A symlink on the way (a committed `.spec` pointing out of the
// repository) is an error naming it; nothing is written then.
Result<void> write_file_beneath(const std::string& root, const std::string& rel,
                                std::string_view bytes);
// Removes the file root/rel, never through a symbolic link below `root`
// (then nothing is removed). False when it did not exist.
Result<bool> remove_file_beneath(const std::string& root, const std::string& rel);

}  // namespace smartspec::text
