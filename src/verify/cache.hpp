// What the checks learn from a FileSource, asked once per run: kinds, deny
// rules, texts, compiled patterns, directory listings, subtree file lists and
// the similar-file search; and the pathlib-like path helpers they use.
// Private to the verify module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smartspec/verify/verify.hpp"
#include "verify/pyre.hpp"

namespace smartspec::verify {

inline constexpr std::array<std::string_view, 6> kDenyDirs = {
    ".git", ".venv", "node_modules", "__pycache__", ".spec", ".smartspec"};

// Components of a '/'-separated path, without empty and "." ones (as pathlib).
std::vector<std::string_view> components(std::string_view p);
std::string normalize(std::string_view p);
std::string parent_of(const std::string& norm);
std::string name_of(const std::string& norm);
std::string child_of(const std::string& dir, const std::string& name);

struct FileRec {
  std::string path;
  std::u32string name;
};

// The names of a subtree's files, low byte of each code point, back to back:
// the similar-file search streams through this instead of chasing one heap
// string per file.
struct Packed {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint32_t> start;  // n + 1 offsets into bytes
  std::vector<std::uint32_t> ids;    // FileRec index per name
};

struct FileInfo {
  bool exists = false;
  std::optional<std::uint64_t> size;
  std::vector<SimilarFile> similar;
};

class Cache {
 public:
  Cache(FileSource& src, const Options& opt) : src_(src), opt_(opt) {}

  FileSource::Kind kind(const std::string& norm);
  // _is_path_allowed(): the deny list on the path as Path.resolve() gives
  // it (symlinks followed). By default relative to the repository; in
  // Python-compat mode the root's own absolute components count too (under
  // ~/.venv/proj every path is denied to the Python tool).
  bool denied(const std::string& norm);
  // The same test for a file met while walking a directory, lexically.
  bool denied_in_walk(const std::string& path);

  const std::string& text(const std::string& norm);
  // A directory scan's file: kept while the scans' texts stay under 64 MiB,
  // so that many scans of one directory (one per task) read it once.
  const std::string& scan_text(const std::string& norm);
  std::string read_text(const std::string& norm);

  // re.search(pattern, text, flags=re.MULTILINE) is not None; a pattern
  // re rejects matches nothing (the Python tool catches re.error).
  bool regex_matches(const std::string& pattern, const std::string& text);

  // Files beneath dir (recursively, .git excluded) in Python rglob order:
  // a directory's files, then each subdirectory's, depth first.
  const std::vector<std::uint32_t>& files_under(const std::string& dir);
  const FileRec& rec(std::uint32_t i) const { return files_[i]; }

  FileInfo file_info(const std::string& norm);

  // find_similar_files(): names under the target's directory (or its parent
  // when that is missing) with ratio >= threshold, best first, ties in
  // listing order. Candidates are ranked by an upper bound of the ratio
  // (difflib's real_quick_ratio and a bucketed quick_ratio), so the exact
  // ratio is computed only while it can still change the result.
  std::vector<SimilarFile> similar(const std::string& norm);

 private:
  const Packed& packed(const std::string& dir);
  const std::vector<FileSource::Entry>& listing(const std::string& dir);
  std::uint32_t record(std::string path, const std::string& name);

  FileSource& src_;
  const Options& opt_;
  std::unordered_map<std::string, FileSource::Kind> kinds_;
  std::unordered_map<std::string, bool> denied_;
  std::size_t scan_bytes_ = 0;
  std::string scratch_;
  bool root_checked_ = false;
  bool root_denied_ = false;
  std::unordered_map<std::string, std::string> texts_;
  std::unordered_map<std::string, std::shared_ptr<pyre::Regex>> regexes_;
  std::unordered_map<std::string, std::vector<FileSource::Entry>> listings_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> subtree_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<FileRec> files_;
  std::unordered_map<std::string, std::vector<SimilarFile>> similar_memo_;
  std::unordered_map<std::string, Packed> packed_;
};

}  // namespace smartspec::verify
