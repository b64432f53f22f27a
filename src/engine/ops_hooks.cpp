// `hook install|uninstall`: installs the shipped hooks (hooks/ in the source
// tree, embedded at build time) into the directory git runs hooks from. The
// installed copy records the binary that installed it. A different hook that is
// already there is not replaced: it is kept as <name>.smartspec-chained and runs
// first, its exit status respected. A tracked hooks directory or a global
// core.hooksPath is only written with --force, and then with a line saying so.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "engine/ops_common.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

const std::vector<HookText>& shipped_hooks() {
  static const std::vector<HookText> hooks{
#include "engine/hooks_embedded.inc"
  };
  return hooks;
}

namespace {

constexpr const char* kBinLine = "bin=${SMARTSPEC_BATCH:-smartspec-batch}\n";
constexpr const char* kChained = ".smartspec-chained";
constexpr const char* kLegacyBackup = ".smartspec-backup";

struct HookAction {
  std::string name;
  std::string what;  // "installed", "already installed", "removed", …
};

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

std::optional<std::string> read_if_file(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  auto bytes = text::read_file(p.string());
  if (!bytes) return std::nullopt;
  return *bytes;
}

// The shipped text with the binary's path recorded as the default.
std::string render(const HookText& h, const std::string& binary) {
  std::string t = h.text;
  auto at = t.find(kBinLine);
  if (at == std::string::npos) return t;
  return t.replace(at, std::char_traits<char>::length(kBinLine),
                   "bin=${SMARTSPEC_BATCH:-" + tasks::shell_quote(binary) + "}\n");
}

// Ours: exactly what some `hook install` wrote (any recorded binary), or the
// shipped text itself (installs of earlier versions). An edited copy is not.
bool is_ours(const HookText& h, const std::string& current) {
  if (current == h.text) return true;
  const std::string prefix = "\nbin=${SMARTSPEC_BATCH:-";
  auto at = current.find(prefix);
  if (at == std::string::npos) return false;
  auto end = current.find('\n', at + 1);
  if (end == std::string::npos) return false;
  std::string normal = current;
  normal.replace(at + 1, end - at, kBinLine);
  return normal == h.text;
}

std::string self_binary() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("smartspec-batch") : p.string();
}

Result<void> write_hook(const fs::path& p, const std::string& text) {
  TRY_VOID(text::write_file_atomic(p.string(), text));
  if (::chmod(p.c_str(), 0755) != 0) return fail(p.string(), 0, "cannot make it executable");
  return {};
}

// A hooks directory other people rely on is written only when asked for.
Result<void> check_location(const git::HooksLocation& loc, bool force) {
  const bool shared = loc.configured_in == "global" || loc.configured_in == "xdg" ||
                      loc.configured_in == "system" || loc.configured_in == "programdata";
  if (shared) {
    if (!force) {
      return fail(loc.dir, 0,
                  "core.hooksPath is set in your " + loc.configured_in +
                      " git configuration: installing there changes the hooks of every "
                      "repository that uses it; use --force to install there anyway");
    }
    std::fprintf(stderr,
                 "smartspec-batch: installing into %s, the core.hooksPath of your %s git "
                 "configuration (--force): every repository using it gets these hooks\n",
                 loc.dir.c_str(), loc.configured_in.c_str());
  }
  if (loc.tracked) {
    if (!force) {
      return fail(loc.dir, 0,
                  "this hooks directory is tracked in the repository: installing edits the "
                  "team's hooks; use --force to install there anyway");
    }
    std::fprintf(stderr,
                 "smartspec-batch: installing into %s, a hooks directory tracked in the "
                 "repository (--force): commit the change only if the team wants it\n",
                 loc.dir.c_str());
  }
  return {};
}

Result<std::vector<HookAction>> install(const git::HooksLocation& loc, bool force) {
  const fs::path dir = loc.dir;
  TRY_VOID(check_location(loc, force));
  const std::string binary = self_binary();
  // Check everything first: a refusal installs nothing.
  for (const auto& h : shipped_hooks()) {
    fs::path p = dir / h.name;
    if (!present(p)) continue;
    auto current = read_if_file(p);
    if (current && is_ours(h, *current)) continue;
    if (!current) return fail(p.string(), 0, "is not a regular file; move it away first");
    fs::path chained = dir / (std::string(h.name) + kChained);
    if (present(chained)) {
      return fail(chained.string(), 0,
                  "a chained hook already exists beside a different " + std::string(h.name) +
                      " hook; move one of them away first");
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir.string(), 0, "cannot create directory: " + ec.message());
  std::vector<HookAction> out;
  for (const auto& h : shipped_hooks()) {
    fs::path p = dir / h.name;
    const std::string text = render(h, binary);
    std::string what = "installed";
    if (present(p)) {
      auto current = read_if_file(p);
      if (current && *current == text) {
        out.push_back({h.name, "already installed"});
        continue;
      }
      if (current && is_ours(h, *current)) {
        what = "updated";
      } else {
        fs::path chained = dir / (std::string(h.name) + kChained);
        fs::rename(p, chained, ec);
        if (ec) return fail(p.string(), 0, "cannot keep the existing hook: " + ec.message());
        what = "installed; the hook that was there runs first (kept as " +
               chained.filename().string() + ")";
      }
    }
    TRY_VOID(write_hook(p, text));
    out.push_back({h.name, what});
  }
  return out;
}

Result<std::vector<HookAction>> uninstall(const fs::path& dir) {
  std::vector<HookAction> out;
  for (const auto& h : shipped_hooks()) {
    fs::path p = dir / h.name;
    if (!present(p)) continue;
    auto current = read_if_file(p);
    if (!current || !is_ours(h, *current)) {
      out.push_back({h.name, "left in place (not smartspec-batch's)"});
      continue;
    }
    std::error_code ec;
    fs::remove(p, ec);
    if (ec) return fail(p.string(), 0, "cannot remove: " + ec.message());
    std::string what = "removed";
    for (const char* suffix : {kChained, kLegacyBackup}) {
      fs::path kept = dir / (std::string(h.name) + suffix);
      if (!present(kept)) continue;
      fs::rename(kept, p, ec);
      if (ec) return fail(kept.string(), 0, "cannot restore: " + ec.message());
      what = "removed (the hook that was there before is back)";
      break;
    }
    out.push_back({h.name, what});
  }
  return out;
}

}  // namespace

int hook_command(const HookOptions& opts) {
  if (opts.action != "install" && opts.action != "uninstall") {
    return ops::report_error(
        Error{{}, 0, "unknown hook action '" + opts.action + "' (valid: install, uninstall)"});
  }
  if (opts.force && opts.action != "install") {
    return ops::report_error(Error{{}, 0, "--force goes with install"});
  }
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  const git::HooksLocation loc = git::hooks_location(*repo);
  const fs::path dir = loc.dir;
  auto done = opts.action == "install" ? install(loc, opts.force) : uninstall(dir);
  if (!done) return ops::report_error(done.error());
  if (opts.common.json) {
    JsonWriter w;
    w.begin_object()
        .field("hooks_dir", dir.string())
        .field("configured_in", loc.configured_in)
        .field("tracked", loc.tracked)
        .key("hooks")
        .begin_array();
    for (const auto& a : *done)
      w.begin_object().field("name", a.name).field("result", a.what).end_object();
    w.end_array().end_object();
    std::fputs(w.str().c_str(), stdout);
    return to_int(Exit::kOk);
  }
  if (opts.common.verbosity < 0) return to_int(Exit::kOk);
  if (done->empty()) std::printf("no smartspec-batch hook in %s\n", dir.c_str());
  for (const auto& a : *done) {
    std::printf("%s: %s (%s)\n", a.name.c_str(), a.what.c_str(), (dir / a.name).c_str());
  }
  return to_int(Exit::kOk);
}
}  // namespace smartspec::engine
