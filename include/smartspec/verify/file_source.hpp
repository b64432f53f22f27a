// What the verifier reads files through: the working directory, or a commit's
// tree straight from the object database (implemented by the git module).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smartspec::verify {

class FileSource {
 public:
  virtual ~FileSource() = default;
  enum class Kind { kMissing, kFile, kDir };
  // `rel` is a '/'-separated path relative to the root, no leading '/'.
  virtual Kind kind(const std::string& rel) = 0;
  // At most max_bytes of a file; nullopt when not a readable file.
  virtual std::optional<std::string> read(const std::string& rel, std::size_t max_bytes) = 0;
  // Names of the entries directly under directory `rel` ("" = root), sorted,
  // with a flag for directories.
  struct Entry {
    std::string name;
    bool dir = false;
  };
  virtual std::vector<Entry> list(const std::string& rel) = 0;
  // The path as Path.resolve() gives it (symlinks followed as far as the
  // path exists), for the deny list: relative to the root when it stays
  // inside, absolute otherwise or when `absolute`. Sources without symlinks
  // return rel.
  virtual std::string resolve(const std::string& rel, bool absolute) {
    (void)absolute;
    return rel;
  }
  // Size in bytes of a file (the whole file, not capped); nullopt when not a
  // readable file. The default reads the file; sources override it when the
  // size is cheaper to learn (stat, blob header).
  virtual std::optional<std::uint64_t> size(const std::string& rel) {
    auto bytes = read(rel, static_cast<std::size_t>(-1));
    if (!bytes) return std::nullopt;
    return bytes->size();
  }
};

}  // namespace smartspec::verify
