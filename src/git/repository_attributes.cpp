// Repository: attributes, line endings and LFS, read from a commit.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "git/internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git {

using namespace detail;

// ---------------------------------------------------------------- attributes

namespace {

// Attribute `name` for `path`, read from the .gitattributes files of `commit`
// (plus $GIT_DIR/info/attributes and the system file, as git does), never
// from the user's working tree or index. For a tree id (no commit to name),
// the working tree's attributes are used.
std::optional<std::string> attr(git_repository* repo, const Oid& tree_or_commit,
                                const std::string& path, const char* name, bool* set, bool* unset) {
  git_attr_options opts{};  // GIT_ATTR_OPTIONS_INIT trips -Wmissing-field-initializers
  opts.version = GIT_ATTR_OPTIONS_VERSION;
  CommitPtr commit = lookup_commit(repo, tree_or_commit);
  if (commit) {
    // Check mode 3 selects neither file nor index in 1.5.1's source selection;
    // INCLUDE_COMMIT then makes the commit the only .gitattributes source.
    opts.flags = 3 | GIT_ATTR_CHECK_INCLUDE_COMMIT;
    git_oid_cpy(&opts.attr_commit_id, git_commit_id(commit.get()));
  } else {
    opts.flags = GIT_ATTR_CHECK_FILE_THEN_INDEX;
  }
  const char* value = nullptr;
  if (git_attr_get_ext(&value, repo, &opts, path.c_str(), name) != 0) return std::nullopt;
  switch (git_attr_value(value)) {
    case GIT_ATTR_VALUE_TRUE:
      *set = true;
      return std::nullopt;
    case GIT_ATTR_VALUE_FALSE:
      *unset = true;
      return std::nullopt;
    case GIT_ATTR_VALUE_STRING:
      return std::string(value);
    default:
      return std::nullopt;
  }
}

// Whether `word` appears in a file of the machine; nullopt when the file
// exists but cannot be read (the caller then cannot rule anything out).
std::optional<bool> file_mentions(const std::string& path, std::string_view word) {
  auto bytes = text::read_file(path);
  if (bytes) return bytes->find(word) != std::string::npos;
  std::error_code ec;  // set for a missing file too, with the type not_found
  if (std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::not_found)
    return false;
  return std::nullopt;
}

// libgit2's search path for a configuration level ("a:b"), as it resolved it.
std::vector<std::string> search_path(int level) {
  git_buf buf = GIT_BUF_INIT;
  std::vector<std::string> out;
  if (git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH, level, &buf) == 0) {
    std::string all(buf.ptr, buf.size);
    for (std::size_t at = 0; at <= all.size();) {
      std::size_t colon = all.find(':', at);
      std::string dir = all.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
      if (!dir.empty()) out.push_back(dir);
      if (colon == std::string::npos) break;
      at = colon + 1;
    }
  }
  git_buf_dispose(&buf);
  return out;
}

// True only when no attribute source git reads for `path` at `commit` has
// `word` in it: the .gitattributes of the commit's directories on the way
// to the path, $GIT_DIR/info/attributes, core.attributesFile (else the XDG
// file) and the system file. An attribute value is literal text in one of
// them, and a macro is defined in one of them, so no attribute of the path
// can then take a value naming `word`. Any source it cannot read: false.
bool no_source_mentions(git_repository* repo, git_commit* commit, const std::string& path,
                        std::string_view word) {
  git_tree* raw = nullptr;
  if (git_commit_tree(&raw, commit) != 0) return false;
  TreePtr tree(raw);
  std::vector<std::string> dirs{""};
  for (std::size_t at = path.find('/'); at != std::string::npos; at = path.find('/', at + 1))
    dirs.push_back(path.substr(0, at));
  for (const auto& dir : dirs) {
    const std::string file = (dir.empty() ? "" : dir + "/") + ".gitattributes";
    git_tree_entry* e = nullptr;
    if (git_tree_entry_bypath(&e, tree.get(), file.c_str()) != 0) continue;
    TreeEntryPtr entry(e);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return false;
    git_blob* b = nullptr;
    if (git_blob_lookup(&b, repo, git_tree_entry_id(entry.get())) != 0) return false;
    BlobPtr blob(b);
    std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                             static_cast<std::size_t>(git_blob_rawsize(blob.get())));
    if (content.find(word) != std::string_view::npos) return false;
  }
  std::vector<std::string> files;
  git_buf info = GIT_BUF_INIT;
  if (git_repository_item_path(&info, repo, GIT_REPOSITORY_ITEM_INFO) == 0)
    files.push_back(std::string(info.ptr, info.size) + "attributes");
  git_buf_dispose(&info);
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo) != 0) return false;
  ConfigPtr config(cfg);
  git_buf global = GIT_BUF_INIT;
  const int got = git_config_get_path(&global, config.get(), "core.attributesFile");
  if (got == 0) files.emplace_back(global.ptr, global.size);
  git_buf_dispose(&global);
  if (got != 0 && got != GIT_ENOTFOUND) return false;
  if (got == GIT_ENOTFOUND)
    for (const auto& d : search_path(GIT_CONFIG_LEVEL_XDG)) files.push_back(d + "/attributes");
  for (const auto& d : search_path(GIT_CONFIG_LEVEL_SYSTEM)) files.push_back(d + "/gitattributes");
  for (const auto& f : files) {
    auto mentions = file_mentions(f, word);
    if (!mentions || *mentions) return false;
  }
  return true;
}

std::string config_string(git_repository* repo, const char* key) {
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo) != 0) return {};
  ConfigPtr owner(cfg);
  git_buf buf = GIT_BUF_INIT;
  std::string out;
  if (git_config_get_string_buf(&buf, cfg, key) == 0) out.assign(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

std::string Repository::checkout_eol(const Oid& tree_or_commit, const std::string& path) const {
  // git's convert.c: -text → no conversion; eol=crlf/lf decides for text files;
  // otherwise core.autocrlf (true → CRLF, input → LF) and then core.eol.
  bool text_set = false;
  bool text_unset = false;
  std::optional<std::string> text =
      attr(repo_, tree_or_commit, path, "text", &text_set, &text_unset);
  if (text_unset) return "\n";
  bool eol_set = false;
  bool eol_unset = false;
  std::optional<std::string> eol = attr(repo_, tree_or_commit, path, "eol", &eol_set, &eol_unset);
  if (eol == "crlf") return "\r\n";
  if (eol == "lf") return "\n";
  const std::string autocrlf = config_string(repo_, "core.autocrlf");
  if (autocrlf == "true" || autocrlf == "yes" || autocrlf == "on" || autocrlf == "1") {
    return "\r\n";
  }
  if (autocrlf == "input") return "\n";
  const bool is_text = text_set || text.has_value();
  if (is_text && config_string(repo_, "core.eol") == "crlf") return "\r\n";
  return "\n";
}

std::string Repository::to_odb(const Oid& commit, const std::string& path,
                               std::string bytes) const {
  if (bytes.find('\r') == std::string::npos) return bytes;
  // git's convert.c: -text → as is; text or eol set → text; text=auto, or no
  // text attribute with core.autocrlf true/input → text when it looks like it.
  bool text_set = false;
  bool text_unset = false;
  std::optional<std::string> text = attr(repo_, commit, path, "text", &text_set, &text_unset);
  if (text_unset) return bytes;
  bool eol_set = false;
  bool eol_unset = false;
  std::optional<std::string> eol = attr(repo_, commit, path, "eol", &eol_set, &eol_unset);
  bool automatic = false;
  if (text == "auto") {
    automatic = true;
  } else if (!text_set && !text && !eol) {
    const std::string autocrlf = config_string(repo_, "core.autocrlf");
    if (autocrlf == "false" || autocrlf == "no" || autocrlf == "off" || autocrlf == "0" ||
        autocrlf.empty()) {
      return bytes;
    }
    automatic = true;
  }
  if (automatic) {
    // Binary by git's heuristics (convert_is_binary) stays as is: a NUL, a
    // lone CR, or more than one control byte per 128 printable ones.
    std::size_t printable = 0;
    std::size_t nonprintable = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      if (c == '\r') {
        if (i + 1 == bytes.size() || bytes[i + 1] != '\n') return bytes;
      } else if (c == '\n') {
      } else if (c == 0) {
        return bytes;
      } else if (c == 127 || (c < 32 && c != '\b' && c != '\t' && c != 033 && c != 014)) {
        ++nonprintable;
      } else {
        ++printable;
      }
    }
    if ((printable >> 7) < nonprintable) return bytes;
    // "safe" autocrlf: a file stored with CRs keeps them.
    Entry old = entry(commit, path);
    if (old.kind == Kind::kFile || old.kind == Kind::kExecutable) {
      auto stored = read_file(commit, path);
      if (stored && stored->find('\r') != std::string::npos) return bytes;
    }
  }
  return text::crlf_to_lf(bytes);
}

bool Repository::is_lfs(const Oid& tree_or_commit, const std::string& path) const {
  // libgit2's lookup reads every source again for each path (most of a short
  // run's planning on a large tree); a commit none of whose sources says
  // "lfs" needs none.
  if (CommitPtr commit = lookup_commit(repo_, tree_or_commit);
      commit && no_source_mentions(repo_, commit.get(), path, "lfs")) {
    return false;
  }
  bool set = false;
  bool unset = false;
  return attr(repo_, tree_or_commit, path, "filter", &set, &unset) == "lfs";
}

}  // namespace smartspec::git
