// Repository: attributes, line endings and LFS, read from a commit.
#include <algorithm>
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
  bool set = false;
  bool unset = false;
  return attr(repo_, tree_or_commit, path, "filter", &set, &unset) == "lfs";
}

}  // namespace smartspec::git
