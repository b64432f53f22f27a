#include "smartspec/exec/confine.hpp"

#include <sys/stat.h>

#include <vector>

#include "smartspec/util/path_rules.hpp"

namespace smartspec::exec {

Result<ConfinedPath> confine(const std::string& root, const std::string& rel) {
  // The lexical rule (git's, with HFS and NTFS protection; no option-like
  // component) is shared with the planner, which shows the same reasons.
  if (std::string why = paths::refusal(rel); !why.empty()) {
    if (rel.empty()) return fail(why);
    return fail(paths::printable(rel) + ": " + why);
  }
  auto refuse = [&](const std::string& why) { return fail(paths::printable(rel) + ": " + why); };
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }

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
