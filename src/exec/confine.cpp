#include "smartspec/exec/confine.hpp"

#include <sys/stat.h>

#include <vector>

#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

// The path as a message may show it: a NUL byte becomes "\0".
std::string printable(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<ConfinedPath> confine(const std::string& root, const std::string& rel) {
  auto refuse = [&](const std::string& why) { return fail(printable(rel) + ": " + why); };
  if (rel.empty()) return fail("empty path refused");
  if (rel.find('\0') != std::string::npos) return refuse("NUL byte in path refused");
  if (rel.front() == '/') return refuse("absolute path refused");
  if (rel.find('\\') != std::string::npos) return refuse("backslash in path refused");

  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return refuse("'..' in path refused");
    if (text::to_lower(part) == ".git") return refuse("path inside .git refused");
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.empty()) return refuse("path names the worktree itself");

  ConfinedPath out;
  std::string walk = root;
  for (const auto& part : parts) {
    out.rel += (out.rel.empty() ? "" : "/") + part;
    walk += "/" + part;
    // Every existing component, the last one included, must not be a symlink;
    // once one is missing, the rest cannot exist.
    struct stat st {};
    if (!walk.empty() && ::lstat(walk.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return refuse("path through a symbolic link refused (" + out.rel + ")");
    }
  }
  out.abs = root + "/" + out.rel;
  return out;
}

}  // namespace smartspec::exec
