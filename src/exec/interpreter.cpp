#include "smartspec/exec/interpreter.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include "smartspec/exec/process.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace fs = std::filesystem;

namespace {

std::mutex g_mutex;
PythonHome g_home;

// The file: this header, then pairs of lines (key hash, interpreter), the one
// learnt last first. Environments alternate (a git hook's PATH starts with
// git's exec-path, a terminal's does not), so each keeps its answer.
constexpr const char* kCacheHeader = "smartspec-batch python3 2";
constexpr std::size_t kCacheEntries = 8;

// The remembered (hash, interpreter) pairs; empty for a file that is not ours.
std::vector<std::pair<std::string, std::string>> read_cache(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  auto text = text::read_file(file, 65536);
  if (!text) return out;
  auto lines = text::split_lines(*text);
  if (lines.empty() || lines[0].text != kCacheHeader) return out;
  for (std::size_t i = 1; i + 1 < lines.size() && out.size() < kCacheEntries; i += 2)
    out.emplace_back(std::string(lines[i].text), std::string(lines[i + 1].text));
  return out;
}

std::string env_value(const std::vector<std::string>& envp, std::string_view name,
                      bool* set = nullptr) {
  for (const auto& kv : envp) {
    if (kv.size() > name.size() && kv[name.size()] == '=' &&
        kv.compare(0, name.size(), name) == 0) {
      if (set != nullptr) *set = true;
      return kv.substr(name.size() + 1);
    }
  }
  if (set != nullptr) *set = false;
  return {};
}

// "size mtime-ns inode" of a path (following symlinks), "-" when absent: what
// changes when a file is replaced or a directory gains or loses an entry.
std::string stat_signature(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "-";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld %lld.%09ld %llu", static_cast<long long>(st.st_size),
                static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec,
                static_cast<unsigned long long>(st.st_ino));
  return buf;
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The PYENV_ROOT a pyenv shim sets, when `text` is one: pyenv writes every
// shim as `export PYENV_ROOT="<root>"` … `exec "<root>/libexec/pyenv" exec "$program" "$@"`.
std::string pyenv_root_of_shim(std::string_view text) {
  if (text.rfind("#!", 0) != 0) return {};
  const std::string_view key = "export PYENV_ROOT=\"";
  std::size_t at = text.find(key);
  if (at == std::string_view::npos) return {};
  std::size_t end = text.find('"', at + key.size());
  if (end == std::string_view::npos) return {};
  std::string root(text.substr(at + key.size(), end - at - key.size()));
  if (root.empty() || root.front() != '/') return {};
  if (text.find("\"" + root + "/libexec/pyenv\" exec ") == std::string_view::npos) return {};
  return root;
}

// pyenv-version-file's search: `.python-version` in `dir` or a parent.
std::string local_version_file(std::string dir) {
  while (!dir.empty()) {
    std::string f = (dir == "/" ? std::string() : dir) + "/.python-version";
    if (is_regular_file(f)) return f;
    if (dir == "/") break;
    std::size_t slash = dir.rfind('/');
    dir = slash == 0 || slash == std::string::npos ? std::string("/") : dir.substr(0, slash);
  }
  return {};
}

// FNV-1a, 64 bits: the cache names the key by this hash, not by its text.
std::string hash_hex(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

void set_default_python_home(PythonHome home) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_home = std::move(home);
}

PythonHome default_python_home() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_home;
}

std::string python3_key(const std::string& project_dir, const std::vector<std::string>& envp) {
  bool path_set = false;
  std::string path = env_value(envp, "PATH", &path_set);
  if (!path_set) path = "/usr/local/bin:/usr/bin:/bin";  // as execvpe and resolve_program
  const std::string shim = find_program("python3", path);
  if (shim.empty()) return {};
  auto head = text::read_file(shim, 8192);
  if (!head) return {};
  const std::string root = pyenv_root_of_shim(*head);
  if (root.empty()) return {};  // a binary, or a wrapper we do not know: no cache

  // Everything `pyenv exec python3` reads to choose the interpreter (pyenv-exec,
  // -version-name, -version-file, -which), docs/DESIGN.md "The checker's interpreter".
  std::string key =
      "key 1\nshim " + shim + " " + stat_signature(shim) + "\ndir " + project_dir + "\n";
  std::vector<std::string> vars;
  for (const auto& kv : envp) {
    if (kv.rfind("PYENV_", 0) == 0 || kv.rfind("PATH=", 0) == 0 ||
        kv.rfind("VIRTUAL_ENV=", 0) == 0) {
      vars.push_back(kv);
    }
  }
  std::sort(vars.begin(), vars.end());
  for (const auto& v : vars) key += "env " + v + "\n";
  // The version file: from $PYENV_DIR (pyenv's default: the working directory,
  // which is project_dir), then the working directory, else the global one.
  std::string file;
  const std::string pyenv_dir = env_value(envp, "PYENV_DIR");
  if (!pyenv_dir.empty()) file = local_version_file(pyenv_dir);
  if (file.empty()) file = local_version_file(project_dir);
  if (file.empty()) file = root + "/version";
  key += "version-file " + file + " " + stat_signature(file) + "\n";
  if (auto content = text::read_file(file, 65536)) key += *content + "\n";
  // Installed versions ("3.11" means the newest 3.11.x), plugins and hooks, pyenv itself.
  for (const char* d : {"/versions", "/plugins", "/libexec", "/pyenv.d"}) {
    key += std::string("dir ") + d + " " + stat_signature(root + d) + "\n";
  }
  return key;
}

PythonChoice choose_python3(const PythonHome& home, const std::vector<std::string>& envp) {
  PythonChoice c;
  if (home.cache_file.empty()) return c;
  c.key = python3_key(home.project_dir, envp);
  if (c.key.empty()) return c;
  const std::string hash = hash_hex(c.key);
  std::string exe;
  for (const auto& [h, e] : read_cache(home.cache_file))
    if (h == hash) exe = e;
  // A remembered interpreter that is gone (the version was removed) is stale:
  // the shim answers again.
  if (exe.empty() || exe.front() != '/' || !is_regular_file(exe) ||
      ::access(exe.c_str(), X_OK) != 0) {
    return c;
  }
  c.direct = exe;
  return c;
}

void remember_python3(const PythonHome& home, const std::string& key,
                      const std::string& executable) {
  if (home.cache_file.empty() || key.empty() || executable.empty() || executable.front() != '/' ||
      executable.find('\n') != std::string::npos) {
    return;
  }
  const std::string hash = hash_hex(key);
  std::string body = std::string(kCacheHeader) + "\n" + hash + "\n" + executable + "\n";
  std::size_t kept = 1;
  for (const auto& [h, e] : read_cache(home.cache_file)) {
    if (h == hash || kept == kCacheEntries) continue;
    body += h + "\n" + e + "\n";
    ++kept;
  }
  std::error_code ec;
  fs::create_directories(fs::path(home.cache_file).parent_path(), ec);
  (void)text::write_file_atomic(home.cache_file, body);
}

}  // namespace smartspec::exec
