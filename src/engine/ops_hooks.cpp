// `hook install|uninstall`: copies the shipped hooks (hooks/ in the source
// tree, embedded below byte for byte; a test keeps the two identical) into the
// directory git runs hooks from, never overwriting a different hook unless
// --force (which keeps it as <name>.smartspec-backup).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "engine/ops_common.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

const std::vector<HookText>& shipped_hooks() {
  static const std::vector<HookText> hooks{
      {"post-merge", R"hook(#!/bin/sh
# smartspec-batch post-merge hook (installed by `smartspec-batch hook install`).
# When a merge brings a new prompt pack under .spec/prompts/, runs it
# in the background; the result lands on branch smartspec/<id>. Never blocks
# or fails the merge. SMARTSPEC_SKIP=1 disables it; SMARTSPEC_BATCH names
# the binary, SMARTSPEC_TASKS the tasks file (default tasks.md).
[ "${SMARTSPEC_SKIP:-0}" = 1 ] && exit 0
bin=${SMARTSPEC_BATCH:-smartspec-batch}
tasks=${SMARTSPEC_TASKS:-tasks.md}
command -v "$bin" >/dev/null 2>&1 || exit 0
cd "$(git rev-parse --show-toplevel 2>/dev/null)" 2>/dev/null || exit 0
[ -f "$tasks" ] || exit 0
pack=
for d in .spec/prompts/*/; do
  [ -d "$d" ] && [ ! -L "${d%/}" ] && pack=${d%/}
done
[ -n "$pack" ] || exit 0
id=${pack##*/}
case $id in *[!A-Za-z0-9._-]*) exit 0 ;; esac  # not a run id (escape sequences ...)
git cat-file -e "ORIG_HEAD:$pack" 2>/dev/null && exit 0
git show-ref --verify --quiet "refs/smartspec/runs/$id" && exit 0
git show-ref --verify --quiet "refs/heads/smartspec/$id" && exit 0
dir=$(cd "$(git rev-parse --git-common-dir)" && pwd)/smartspec
mkdir -p "$dir" || exit 0
(
  unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX GIT_COMMON_DIR GIT_OBJECT_DIRECTORY
  nohup "$bin" run --prompts-dir "$pack" --tasks "$tasks" >"$dir/hook-$id.log" 2>&1 </dev/null &
)
echo "smartspec-batch: running $pack in the background; result on branch smartspec/$id (log: $dir/hook-$id.log)"
exit 0
)hook"},
      {"post-checkout", R"hook(#!/bin/sh
# smartspec-batch post-checkout hook (installed by `smartspec-batch hook install`).
# When a branch checkout brings a new prompt pack under .spec/prompts/, runs it
# in the background; the result lands on branch smartspec/<id>. Never blocks
# or fails the checkout. SMARTSPEC_SKIP=1 disables it; SMARTSPEC_BATCH names
# the binary, SMARTSPEC_TASKS the tasks file (default tasks.md).
[ "$3" = 1 ] || exit 0
[ "${SMARTSPEC_SKIP:-0}" = 1 ] && exit 0
bin=${SMARTSPEC_BATCH:-smartspec-batch}
tasks=${SMARTSPEC_TASKS:-tasks.md}
command -v "$bin" >/dev/null 2>&1 || exit 0
cd "$(git rev-parse --show-toplevel 2>/dev/null)" 2>/dev/null || exit 0
[ -f "$tasks" ] || exit 0
pack=
for d in .spec/prompts/*/; do
  [ -d "$d" ] && [ ! -L "${d%/}" ] && pack=${d%/}
done
[ -n "$pack" ] || exit 0
id=${pack##*/}
case $id in *[!A-Za-z0-9._-]*) exit 0 ;; esac  # not a run id (escape sequences ...)
git cat-file -e "$1:$pack" 2>/dev/null && exit 0
git show-ref --verify --quiet "refs/smartspec/runs/$id" && exit 0
git show-ref --verify --quiet "refs/heads/smartspec/$id" && exit 0
dir=$(cd "$(git rev-parse --git-common-dir)" && pwd)/smartspec
mkdir -p "$dir" || exit 0
(
  unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX GIT_COMMON_DIR GIT_OBJECT_DIRECTORY
  nohup "$bin" run --prompts-dir "$pack" --tasks "$tasks" >"$dir/hook-$id.log" 2>&1 </dev/null &
)
echo "smartspec-batch: running $pack in the background; result on branch smartspec/$id (log: $dir/hook-$id.log)"
exit 0
)hook"},
      {"pre-push", R"hook(#!/bin/sh
# smartspec-batch pre-push hook (installed by `smartspec-batch hook install`).
# Refuses a push whose tip marks a task done ([x] in tasks.md) that fails
# verification. SMARTSPEC_SKIP=1 bypasses it; SMARTSPEC_BATCH names the
# binary, SMARTSPEC_TASKS the tasks file (default tasks.md).
[ "${SMARTSPEC_SKIP:-0}" = 1 ] && exit 0
bin=${SMARTSPEC_BATCH:-smartspec-batch}
tasks=${SMARTSPEC_TASKS:-tasks.md}
if ! command -v "$bin" >/dev/null 2>&1; then
  echo "smartspec-batch pre-push: $bin not found; push not checked" >&2
  exit 0
fi
top=$(git rev-parse --show-toplevel 2>/dev/null) || exit 0
zero=0000000000000000000000000000000000000000
while read -r ref sha _ _; do
  [ "$sha" = "$zero" ] && continue
  git cat-file -e "$sha:$tasks" 2>/dev/null </dev/null || continue
  task=$("$bin" verify "$top/$tasks" --repo-root "$top" --rev "$sha" --json </dev/null 2>/dev/null |
    awk '/"task_id":/ { id = $2 } /"priority": 1,/ { gsub(/[",]/, "", id); print id; exit }')
  if [ -n "$task" ]; then
    echo "smartspec-batch pre-push: refusing to push $ref: $task is marked [x] in $tasks but fails verification (SMARTSPEC_SKIP=1 pushes anyway)" >&2
    exit 1
  fi
done
exit 0
)hook"},
  };
  return hooks;
}

namespace {

struct HookAction {
  std::string name;
  std::string what;  // "installed", "already installed", "replaced (backup: …)", "removed", …
};

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(fs::symlink_status(p, ec)) ||
         fs::is_symlink(fs::symlink_status(p, ec));
}

std::optional<std::string> read_if_file(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  auto bytes = text::read_file(p.string());
  if (!bytes) return std::nullopt;
  return *bytes;
}

Result<void> write_hook(const fs::path& p, const std::string& text) {
  TRY_VOID(text::write_file_atomic(p.string(), text));
  if (::chmod(p.c_str(), 0755) != 0) return fail(p.string(), 0, "cannot make it executable");
  return {};
}

Result<std::vector<HookAction>> install(const fs::path& dir, bool force) {
  // Check everything first: a refusal installs nothing.
  for (const auto& h : shipped_hooks()) {
    fs::path p = dir / h.name;
    if (!is_file(p)) continue;
    auto current = read_if_file(p);
    if (current && *current == h.text) continue;
    fs::path backup = dir / (std::string(h.name) + ".smartspec-backup");
    if (!force) {
      return fail(p.string(), 0,
                  "a different hook is installed; use --force to replace it (it is kept as " +
                      backup.filename().string() + ")");
    }
    if (is_file(backup)) {
      return fail(backup.string(), 0, "a backup already exists; move it away first");
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir.string(), 0, "cannot create directory: " + ec.message());
  std::vector<HookAction> out;
  for (const auto& h : shipped_hooks()) {
    fs::path p = dir / h.name;
    std::string what = "installed";
    if (is_file(p)) {
      auto current = read_if_file(p);
      if (current && *current == h.text) {
        out.push_back({h.name, "already installed"});
        continue;
      }
      fs::path backup = dir / (std::string(h.name) + ".smartspec-backup");
      fs::rename(p, backup, ec);
      if (ec) return fail(p.string(), 0, "cannot keep a backup: " + ec.message());
      what = "installed (previous hook kept as " + backup.filename().string() + ")";
    }
    TRY_VOID(write_hook(p, h.text));
    out.push_back({h.name, what});
  }
  return out;
}

Result<std::vector<HookAction>> uninstall(const fs::path& dir) {
  std::vector<HookAction> out;
  for (const auto& h : shipped_hooks()) {
    fs::path p = dir / h.name;
    fs::path backup = dir / (std::string(h.name) + ".smartspec-backup");
    if (!is_file(p)) continue;
    auto current = read_if_file(p);
    if (!current || *current != h.text) {
      out.push_back({h.name, "left in place (not smartspec-batch's)"});
      continue;
    }
    std::error_code ec;
    if (is_file(backup)) {
      fs::rename(backup, p, ec);
      if (ec) return fail(backup.string(), 0, "cannot restore: " + ec.message());
      out.push_back({h.name, "removed (previous hook restored)"});
    } else {
      fs::remove(p, ec);
      if (ec) return fail(p.string(), 0, "cannot remove: " + ec.message());
      out.push_back({h.name, "removed"});
    }
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
  fs::path dir = git::hooks_dir(*repo);
  auto done = opts.action == "install" ? install(dir, opts.force) : uninstall(dir);
  if (!done) return ops::report_error(done.error());
  if (opts.common.json) {
    JsonWriter w;
    w.begin_object().field("hooks_dir", dir.string()).key("hooks").begin_array();
    for (const auto& a : *done)
      w.begin_object().field("name", a.name).field("result", a.what).end_object();
    w.end_array().end_object();
    std::fputs(w.str().c_str(), stdout);
    return 0;
  }
  if (done->empty()) std::printf("no smartspec-batch hook in %s\n", dir.c_str());
  for (const auto& a : *done) {
    std::printf("%s: %s (%s)\n", a.name.c_str(), a.what.c_str(), (dir / a.name).c_str());
  }
  return 0;
}
}  // namespace smartspec::engine
