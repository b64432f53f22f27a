// verify::FileSource over a commit's tree, read straight from the object
// database. A symlink counts as a file whose content is its target; a
// submodule as an empty directory.
#include <algorithm>

#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

namespace {

class TreeSource final : public verify::FileSource {
 public:
  TreeSource(git_repository* repo, TreePtr root) : repo_(repo), root_(std::move(root)) {}

  Kind kind(const std::string& rel) override {
    if (rel.empty()) return root_ ? Kind::kDir : Kind::kMissing;
    TreeEntryPtr e = lookup(rel);
    if (!e) return Kind::kMissing;
    switch (git_tree_entry_filemode(e.get())) {
      case GIT_FILEMODE_TREE:
      case GIT_FILEMODE_COMMIT:
        return Kind::kDir;
      case GIT_FILEMODE_BLOB:
      case GIT_FILEMODE_BLOB_EXECUTABLE:
      case GIT_FILEMODE_LINK:
        return Kind::kFile;
      default:
        return Kind::kMissing;
    }
  }

  std::optional<std::string> read(const std::string& rel, std::size_t max_bytes) override {
    TreeEntryPtr e = lookup(rel);
    if (!e || git_tree_entry_type(e.get()) != GIT_OBJECT_BLOB) return std::nullopt;
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo_, git_tree_entry_id(e.get())) != 0) return std::nullopt;
    BlobPtr owner(blob);
    const auto size = static_cast<std::size_t>(git_blob_rawsize(blob));
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                       std::min(size, max_bytes));
  }

  std::vector<Entry> list(const std::string& rel) override {
    std::vector<Entry> out;
    if (!root_) return out;
    TreePtr sub;
    git_tree* dir = root_.get();
    if (!rel.empty()) {
      TreeEntryPtr e = lookup(rel);
      if (!e || git_tree_entry_type(e.get()) != GIT_OBJECT_TREE) return out;  // incl. submodule
      git_tree* t = nullptr;
      if (git_tree_lookup(&t, repo_, git_tree_entry_id(e.get())) != 0) return out;
      sub.reset(t);
      dir = t;
    }
    for (std::size_t i = 0; i < git_tree_entrycount(dir); ++i) {
      const git_tree_entry* te = git_tree_entry_byindex(dir, i);
      const git_filemode_t mode = git_tree_entry_filemode(te);
      out.push_back(
          {git_tree_entry_name(te), mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT});
    }
    // git orders trees as if directory names ended in '/'; callers want plain names.
    std::sort(out.begin(), out.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return out;
  }

 private:
  TreeEntryPtr lookup(const std::string& rel) {
    if (!root_ || rel.empty()) return nullptr;
    git_tree_entry* te = nullptr;
    if (git_tree_entry_bypath(&te, root_.get(), rel.c_str()) != 0) return nullptr;
    return TreeEntryPtr(te);
  }

  git_repository* repo_;
  TreePtr root_;
};

}  // namespace

std::unique_ptr<verify::FileSource> tree_source(const Repository& repo, const Oid& commit) {
  return std::make_unique<TreeSource>(repo.raw(), tree_for(repo.raw(), commit));
}

}  // namespace smartspec::git
