// eol_settings_neutral(): whether line endings on checkout can only come from
// .gitattributes files in the tree (no config, no info/attributes, no global
// attributes file) — then a path with no .gitattributes on its way is "\n"
// without asking libgit2's attribute machinery, which reads the whole index
// on every lookup.
#include <sys/stat.h>

#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

bool eol_settings_neutral(const Repository& repo) {
  ensure_init();
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo.raw()) != 0) return false;
  bool neutral = true;
  git_buf buf = GIT_BUF_INIT;
  if (git_config_get_string_buf(&buf, cfg, "core.autocrlf") == 0) {
    std::string v(buf.ptr, buf.size);
    if (v != "false" && v != "input" && v != "no" && v != "off" && v != "0") neutral = false;
  }
  git_buf_dispose(&buf);
  if (git_config_get_string_buf(&buf, cfg, "core.eol") == 0) {
    std::string v(buf.ptr, buf.size);
    if (v != "lf" && v != "native") neutral = false;
  }
  git_buf_dispose(&buf);
  if (git_config_get_string_buf(&buf, cfg, "core.attributesFile") == 0) neutral = false;
  git_buf_dispose(&buf);
  git_config_free(cfg);
  struct stat st {};
  if (::stat((repo.common_dir() + "/info/attributes").c_str(), &st) == 0) neutral = false;
  // git's default global attributes file.
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  std::string global = xdg != nullptr && *xdg != '\0' ? std::string(xdg) + "/git/attributes"
                       : home != nullptr ? std::string(home) + "/.config/git/attributes"
                                         : std::string();
  if (!global.empty() && ::stat(global.c_str(), &st) == 0) neutral = false;
  return neutral;
}

}  // namespace smartspec::git
