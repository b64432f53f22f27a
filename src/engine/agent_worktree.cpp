// What an agent did to the scratch worktree: the checks that refuse what must
// not be committed, the undo, and the reading of its changes as files
// created, modified, deleted and renamed (agent_internal.hpp).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "engine/agent_internal.hpp"
#include "smartspec/exec/confine.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace agent_detail {

// A file name for prompt and log: the id, with anything unusual replaced.
std::string file_stem(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') out.insert(0, "task");
  return out;
}

std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    if (slash == std::string::npos) slash = rel.size();
    out.push_back(rel.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Length of the prefix of `rel` up to and including its first `.git`
// component (any case), or 0 when it has none.
std::size_t git_component_end(const std::string& rel) {
  std::size_t pos = 0;
  for (const auto& part : components(rel)) {
    pos += part.size();
    if (text::to_lower(part) == ".git") return pos;
    ++pos;
  }
  return 0;
}

// Test files by the usual conventions of the common languages.
bool looks_like_test(const std::string& rel) {
  auto parts = components(rel);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string d = text::to_lower(parts[i]);
    if (d == "test" || d == "tests" || d == "__tests__" || d == "spec" || d == "specs") return true;
  }
  const std::string& name = parts.back();
  std::string low = text::to_lower(name);
  std::string stem = name.substr(0, name.find('.'));
  return low.rfind("test_", 0) == 0 || low.find("_test.") != std::string::npos ||
         low.find(".test.") != std::string::npos || low.find(".spec.") != std::string::npos ||
         low.find("_spec.") != std::string::npos ||
         (stem.size() > 4 && (stem.ends_with("Test") || stem.ends_with("Tests")));
}

bool looks_like_code(const std::string& rel) {
  static const std::set<std::string> kExt = {
      "py", "js", "mjs", "cjs",  "ts",  "tsx", "jsx", "go",  "rs",  "java",   "kt",    "kts",
      "rb", "c",  "cc",  "cpp",  "cxx", "h",   "hh",  "hpp", "cs",  "php",    "swift", "scala",
      "m",  "mm", "lua", "dart", "ex",  "exs", "erl", "clj", "vue", "svelte", "sh",    "bash",
      "pl", "r",  "jl",  "hs",   "ml",  "fs",  "sql", "zig", "nim"};
  std::string name = fs::path(rel).filename().string();
  std::size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  return kExt.count(text::to_lower(name.substr(dot + 1))) > 0;
}

// ------------------------------------------------------------ the git link
// What `<worktree>/.git` holds (a gitfile naming the admin directory, for a
// linked worktree): an agent must not change it.
std::string fingerprint(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "absent";
  if (S_ISREG(st.st_mode)) {
    auto bytes = text::read_file(path);
    return "file\n" + (bytes ? *bytes : std::string("<unreadable>"));
  }
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    return "link\n" + fs::read_symlink(path, ec).string();
  }
  if (!S_ISDIR(st.st_mode)) return "special";
  std::vector<std::string> lines;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat s {};
    if (::lstat(it->path().c_str(), &s) != 0) continue;
    lines.push_back(it->path().string() + " " + std::to_string(s.st_mode) + " " +
                    std::to_string(s.st_size) + " " + std::to_string(s.st_mtim.tv_sec) + "." +
                    std::to_string(s.st_mtim.tv_nsec));
  }
  std::sort(lines.begin(), lines.end());
  std::string out = "dir\n";
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Puts back a gitfile the agent changed (only a regular file can be restored).
Result<void> restore_gitlink(const std::string& path, const std::string& before) {
  if (before.rfind("file\n", 0) != 0) {
    return fail(path, 0, "changed by the agent and cannot be restored");
  }
  std::error_code ec;
  fs::remove_all(path, ec);  // does not follow symlinks
  if (ec) return fail(path, 0, "cannot remove: " + ec.message());
  return text::write_file_atomic(path, before.substr(5));
}

// ------------------------------------------------------------ checks
// Paths of special files (FIFOs, sockets, devices) in the worktree, which
// libgit2's walk does not report; the worktree's own `.git` is skipped.
std::vector<std::pair<std::string, std::string>> special_files(const std::string& root) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    if (it.depth() == 0 && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    // The entry's type as the directory listing gave it (d_type): no lstat
    // per file, which on a large checkout was most of this walk's time. A
    // symbolic link is not followed (its type is "symlink"); where the file
    // system gives no type, the tests below stat the path.
    std::error_code sec;
    const char* kind = nullptr;
    if (it->is_symlink(sec) || sec) continue;
    if (it->is_regular_file(sec) || it->is_directory(sec)) continue;
    if (it->is_fifo(sec)) {
      kind = "FIFO";
    } else if (it->is_socket(sec)) {
      kind = "socket";
    } else if (it->is_block_file(sec)) {
      kind = "block device";
    } else if (it->is_character_file(sec)) {
      kind = "character device";
    }
    if (kind != nullptr) out.emplace_back(fs::relative(it->path(), root).generic_string(), kind);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "" when the symbolic link `rel` → `target` stays inside the worktree and
// out of `.git`, else why it is refused.
std::string symlink_problem(const std::string& root, const std::string& rel,
                            const std::string& target) {
  std::string leaves = rel + ": symbolic link to " + target + " leaves the worktree; refused";
  if (target.empty() || target.front() == '/') return leaves;
  // Lexically, from the link's directory.
  std::vector<std::string> stack = components(rel);
  stack.pop_back();
  for (const auto& part : components(target)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (stack.empty()) return leaves;
      stack.pop_back();
      continue;
    }
    if (text::to_lower(part) == ".git") return rel + ": symbolic link into .git refused";
    stack.push_back(part);
  }
  // Through the links already on disk, when the target exists.
  std::error_code ec;
  fs::path real = fs::canonical(fs::path(root) / rel, ec);
  if (!ec) {
    fs::path real_root = fs::canonical(root, ec);
    if (ec) return {};
    std::string r = real.string(), base = real_root.string();
    if (r != base && r.rfind(base + "/", 0) != 0) return leaves;
    std::string inside = r.size() > base.size() ? r.substr(base.size() + 1) : "";
    if (git_component_end(inside) > 0) return rel + ": symbolic link into .git refused";
  }
  return {};
}

// The first thing the agent did that must not be committed.
std::optional<Refusal> find_refusal(
    const std::string& root, const std::vector<WorktreeChange>& ch,
    const std::vector<std::pair<std::string, std::string>>& specials) {
  if (!specials.empty()) {
    const auto& [rel, kind] = specials.front();
    return Refusal{rel, rel + ": not a regular file (" + kind + "); refused"};
  }
  for (const auto& c : ch) {
    std::string rel = c.path;
    if (!rel.empty() && rel.back() == '/') rel.pop_back();
    if (git_component_end(rel) > 0) return Refusal{rel, rel + ": change inside .git refused"};
    if (c.status == Status::kDeleted) continue;
    if (c.status == Status::kUnreadable) return Refusal{rel, rel + ": unreadable file refused"};
    if (c.mode == 040000 || c.mode == 0160000) {
      return Refusal{rel, rel + ": nested git repository refused"};
    }
    if (c.mode == kModeLink) {
      std::string why = symlink_problem(root, rel, c.content.value_or(""));
      if (!why.empty()) return Refusal{rel, why};
      auto slash = rel.rfind('/');
      if (slash != std::string::npos) {
        auto parent = exec::confine(root, rel.substr(0, slash));
        if (!parent) return Refusal{rel, parent.error().message};
      }
    } else {
      auto confined = exec::confine(root, rel);
      if (!confined) return Refusal{rel, confined.error().message};
    }
  }
  return std::nullopt;
}

// Removes root/rel (a whole directory too) when every ancestor is a real directory.
Result<void> remove_inside(const std::string& root, const std::string& rel) {
  std::string sofar = root;
  auto parts = components(rel);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    sofar += "/" + parts[i];
    struct stat st {};
    if (::lstat(sofar.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
  }
  std::error_code ec;
  fs::remove_all(root + "/" + rel, ec);
  if (ec) return fail(root + "/" + rel, 0, "cannot remove: " + ec.message());
  return {};
}

// ------------------------------------------------------------ undo
// Puts the worktree back to the snapshot: the git link, then the rest.
Result<void> restore(AgentContext& ctx, const std::string& gitlink_before) {
  const std::string root = ctx.scratch.path();
  if (fingerprint(root + "/.git") != gitlink_before) {
    TRY_VOID(restore_gitlink(root + "/.git", gitlink_before));
  }
  TRY_VOID(reset_checkout(ctx.repo, ctx.scratch, ctx.snapshot_tree, true));
  return {};
}

// ------------------------------------------------------------ reports
// Pairs a deleted and a created file of identical (non-empty) content as a rename.
FileSets classify(const git::Repository& repo, const std::string& snapshot,
                  const std::vector<WorktreeChange>& changes) {
  FileSets f;
  std::vector<const WorktreeChange*> added;
  for (const auto& c : changes) {
    if (c.status == Status::kAdded) added.push_back(&c);
    if (c.status == Status::kModified) f.modified.push_back(c.path);
  }
  std::set<const WorktreeChange*> paired;
  for (const auto& c : changes) {
    if (c.status != Status::kDeleted) continue;
    auto old = repo.entry(snapshot, c.path);
    auto bytes = is_blob_mode(old.mode) ? repo.read_file(snapshot, c.path) : std::nullopt;
    const WorktreeChange* match = nullptr;
    if (bytes && !bytes->empty()) {
      for (const auto* a : added) {
        if (!paired.count(a) && is_blob_mode(a->mode) && a->content == *bytes) {
          match = a;
          break;
        }
      }
    }
    if (match != nullptr) {
      paired.insert(match);
      f.renamed.emplace_back(c.path, match->path);
    } else {
      f.deleted.push_back(c.path);
    }
  }
  for (const auto* a : added)
    if (!paired.count(a)) f.created.push_back(a->path);
  return f;
}

}  // namespace agent_detail

using namespace agent_detail;

Result<std::size_t> reset_checkout(git::Repository& repo, git::Scratch& scratch,
                                   const std::string& tree, bool include_ignored) {
  // Special files, `.git` directories, then every path the diff still shows;
  // checked by a last diff.
  const std::string root = scratch.path();
  std::size_t put_back = 0;
  std::vector<std::string> paths;
  for (const auto& s : special_files(root)) paths.push_back(s.first);
  for (int pass = 0; pass < 2; ++pass) {
    TRY(auto changes, git::worktree_changes(repo, root, tree, include_ignored));
    // Nothing differs (this comparison includes everything the last check
    // would look at): done, without a second pass and a last check.
    if (changes.empty() && paths.empty()) return put_back;
    for (const auto& c : changes) {
      std::string rel = c.path;
      if (!rel.empty() && rel.back() == '/') rel.pop_back();
      if (std::size_t end = git_component_end(rel); end > 0) {
        TRY_VOID(remove_inside(root, rel.substr(0, end)));
        ++put_back;
        continue;
      }
      paths.push_back(rel);
    }
    std::sort(paths.begin(), paths.end());
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    put_back += paths.size();
    TRY_VOID(scratch.materialize(tree, paths));
    paths.clear();
  }
  TRY(auto left, git::worktree_changes(repo, root, tree, false));
  if (!left.empty()) {
    return fail(root + "/" + left.front().path, 0,
                "cannot put the worktree back: still differs from tree " + tree);
  }
  return put_back;
}

}  // namespace smartspec::engine
