// The agent executor (`--agent CMD`, issue 7). One call: write the prompt,
// run the agent in the scratch worktree, take what it changed (libgit2's
// tree-to-workdir diff against the snapshot), refuse what must not be
// committed, check syntax, add evidence hooks, build the new tree. Any
// failure puts the worktree back to the snapshot, so no trace remains.
#include "engine/agent.hpp"
#include "engine/isolation.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "engine/agent_progress.hpp"
#include "engine/agent_prompt.hpp"
#include "smartspec/exec/confine.hpp"
#include "smartspec/exec/evidence_hooks.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;
using git::WorktreeChange;
using Status = git::WorktreeChange::Status;

namespace {

constexpr std::uint32_t kModeFile = 0100644;
constexpr std::uint32_t kModeExec = 0100755;
constexpr std::uint32_t kModeLink = 0120000;

bool is_blob_mode(std::uint32_t m) { return m == kModeFile || m == kModeExec; }

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
      "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "java", "kt", "kts", "rb",
      "c", "cc", "cpp", "cxx", "h", "hh", "hpp", "cs", "php", "swift", "scala", "m", "mm",
      "lua", "dart", "ex", "exs", "erl", "clj", "vue", "svelte", "sh", "bash", "pl", "r",
      "jl", "hs", "ml", "fs", "sql", "zig", "nim"};
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
    std::error_code sec;
    fs::file_status st = it->symlink_status(sec);
    if (sec) continue;
    const char* kind = nullptr;
    switch (st.type()) {
      case fs::file_type::fifo: kind = "FIFO"; break;
      case fs::file_type::socket: kind = "socket"; break;
      case fs::file_type::block: kind = "block device"; break;
      case fs::file_type::character: kind = "character device"; break;
      default: break;
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
  const std::string leaves = rel + ": symbolic link to " + target + " leaves the worktree; refused";
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

struct Refusal {
  std::string path;
  std::string message;
};

// The first thing the agent did that must not be committed.
std::optional<Refusal> find_refusal(const std::string& root, const std::vector<WorktreeChange>& ch,
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

// ------------------------------------------------------------ prompt
std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> evidence_paths(const Inputs& in, const std::string& id) {
  std::vector<std::string> out;
  if (const TaskLine* line = in.tasks.find(id)) {
    for (const auto& e : line->evidence) {
      auto p = e.get("path");
      if (p && !p->empty() && std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
    }
  }
  return out;
}

// Paths the task names, in order: its pack section's files, the plan's, its evidence.
std::vector<std::string> ordered_paths(const Inputs& in, const plan::PlannedTask& t) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& f : in.pack.tasks[t.pack_index].files) add(f.path);
  for (const auto& f : t.files) add(f.path);
  for (const auto& p : evidence_paths(in, t.id)) add(p);
  return out;
}

PromptInput prompt_input(const AgentContext& ctx, const std::vector<const plan::PlannedTask*>& tasks,
                         const std::string& tasks_file) {
  PromptInput pin;
  pin.unit = ctx.unit;
  pin.tasks_file = tasks_file;
  pin.program = ctx.program;
  for (const auto* t : tasks) {
    const PackTask& pt = ctx.in.pack.tasks[t->pack_index];
    PromptTask task;
    task.id = t->id;
    task.title = t->title;
    task.section = pt.raw;
    if (const TaskLine* line = ctx.in.tasks.find(t->id)) task.evidence = line->evidence;
    task.files = ordered_paths(ctx.in, *t);
    task.symbol = pt.symbol.value_or("");
    task.contains = pt.contains.value_or("");
    pin.tasks.push_back(std::move(task));
  }
  return pin;
}

// Verifies the tasks' evidence on the worktree's files (tasks.md: the
// worktree's copy when tracked, else the one given). What is still missing,
// per unverified task (a task with no evidence line has nothing to check).
std::vector<Missing> still_missing(const AgentContext& ctx,
                                   const std::vector<const plan::PlannedTask*>& tasks) {
  const std::string root = ctx.scratch.path();
  std::optional<TasksDoc> worktree_doc;
  if (ctx.tasks_tracked && !ctx.in.tasks_rel.empty()) {
    if (auto bytes = text::read_file(root + "/" + ctx.in.tasks_rel)) {
      if (auto parsed = tasks::parse(*bytes, ctx.in.tasks_rel)) worktree_doc = std::move(*parsed);
    }
  }
  const TasksDoc& doc = worktree_doc ? *worktree_doc : ctx.in.tasks;
  TasksDoc mine;
  mine.path = doc.path;
  for (const auto* t : tasks) {
    const TaskLine* line = doc.find(t->id);
    if (line == nullptr || line->evidence.empty()) continue;
    mine.tasks.push_back(*line);
  }
  std::vector<Missing> out;
  if (mine.tasks.empty()) return out;
  verify::DirSource source(root);
  verify::Summary summary = verify::verify(mine, source);
  for (const auto& r : summary.tasks) {
    if (r.verified) continue;
    Missing m{r.id, {}};
    for (const auto& c : r.checks)
      if (!c.ok) m.lines.push_back(describe_missing(c));
    if (m.lines.empty()) m.lines.push_back("the verifier does not accept its evidence yet");
    out.push_back(std::move(m));
  }
  return out;
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
struct FileSets {
  std::vector<std::string> created, modified, deleted;
  std::vector<std::pair<std::string, std::string>> renamed;
};

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

// Paths the task names: its pack section's files and its evidence.
std::set<std::string> named_paths(const Inputs& in, const plan::PlannedTask& t) {
  std::set<std::string> out;
  for (const auto& f : in.pack.tasks[t.pack_index].files) out.insert(f.path);
  for (const auto& f : t.files) out.insert(f.path);
  for (const auto& p : evidence_paths(in, t.id)) out.insert(p);
  return out;
}

// The role the pack (or the plan) gives `rel` for this task; kOther when none.
FileRole named_role(const Inputs& in, const plan::PlannedTask& t, const std::string& rel) {
  for (const auto& f : in.pack.tasks[t.pack_index].files)
    if (f.path == rel && f.role != FileRole::kOther) return f.role;
  for (const auto& f : t.files)
    if (f.path == rel && f.role != FileRole::kOther) return f.role;
  return FileRole::kOther;
}

// The path's look, for files the task does not name.
FileRole guessed_role(const std::string& rel) {
  if (looks_like_test(rel)) return FileRole::kTest;
  if (looks_like_code(rel)) return FileRole::kCode;
  return FileRole::kOther;
}

}  // namespace

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

Result<AgentResult> run_agent(AgentContext& ctx,
                              const std::vector<const plan::PlannedTask*>& tasks) {
  AgentResult result;
  result.new_tree = ctx.snapshot_tree;
  if (tasks.empty()) {
    result.ok = true;
    return result;
  }
  const auto started = std::chrono::steady_clock::now();
  const std::string root = ctx.scratch.path();
  const bool unit_call = tasks.size() > 1;

  std::vector<std::string> ids;
  for (const auto* t : tasks) ids.push_back(t->id);
  const std::string stem = file_stem(unit_call ? ctx.unit : tasks.front()->id);
  std::error_code ec;
  fs::create_directories(ctx.log_dir, ec);
  if (ec) return fail(ctx.log_dir, 0, "cannot create directory: " + ec.message());
  std::string tasks_file;   // what the agent is told (absolute)
  std::string tasks_shown;  // what the prompt shows (relative to the worktree when inside)
  if (ctx.tasks_tracked && !ctx.in.tasks_rel.empty()) {
    tasks_file = root + "/" + ctx.in.tasks_rel;
    tasks_shown = ctx.in.tasks_rel;
  } else {
    tasks_file = fs::absolute(ctx.opts.tasks.empty() ? ctx.in.tasks.path : ctx.opts.tasks, ec)
                     .lexically_normal()
                     .string();
    tasks_shown = tasks_file;
  }
  const PromptInput pin = prompt_input(ctx, tasks, tasks_shown);
  TRY(const auto argv_template, exec::split_command_line(ctx.opts.agent));
  const int max_attempts = std::max(1, ctx.opts.agent_attempts);

  const std::string gitlink_path = root + "/.git";
  const std::string gitlink_before = fingerprint(gitlink_path);

  // Everything after the agent: one outcome for the tasks of this call.
  std::string error, error_file;
  int error_line = 0;
  std::vector<std::string> notes;
  std::vector<WorktreeChange> changes;
  std::vector<std::pair<std::string, std::string>> specials;
  bool ran = true;
  int attempt = 0;
  std::vector<Missing> missing;       // after the last attempt: what does not verify
  std::string log_path;
  std::vector<std::string> earlier_logs;
  while (attempt < max_attempts) {
    ++attempt;
    // Attempt 1 writes <stem>.prompt.md and <stem>.log; later ones <stem>.attempt-N.*.
    const std::string suffix = attempt == 1 ? "" : ".attempt-" + std::to_string(attempt);
    const std::string prompt_path = ctx.log_dir + "/" + stem + suffix + ".prompt.md";
    if (!log_path.empty()) earlier_logs.push_back(log_path);
    log_path = ctx.log_dir + "/" + stem + suffix + ".log";
    const std::string prompt = attempt == 1
                                   ? build_agent_prompt(pin)
                                   : build_retry_prompt(pin, attempt, max_attempts, missing);
    TRY_VOID(text::write_file_atomic(prompt_path, prompt));

    std::vector<std::string> argv = argv_template;
    for (auto& arg : argv) {
      for (std::size_t pos = 0; (pos = arg.find("{prompt_file}", pos)) != std::string::npos;) {
        arg.replace(pos, 13, prompt_path);
        pos += prompt_path.size();
      }
    }
    exec::ProcSpec spec;
    spec.argv = agent_argv(ctx.opts, ctx.repo, ctx.scratch, std::move(argv),
                           {ctx.log_dir, fs::path(tasks_file).parent_path().string()});
    spec.cwd = root;
    spec.stdin_data = prompt;
    spec.timeout_seconds = ctx.opts.agent_timeout;
    spec.log_path = log_path;
    spec.env = {{"SMARTSPEC_TASK_ID", join(ids, ",")},
                {"SMARTSPEC_UNIT", ctx.unit},
                {"SMARTSPEC_CATEGORY", ctx.unit},
                {"SMARTSPEC_PROMPT_FILE", prompt_path},
                {"SMARTSPEC_TASKS_FILE", tasks_file},
                {"SMARTSPEC_RUN_ID", ctx.in.run_id},
                {"SMARTSPEC_WORKTREE", root},
                {"SMARTSPEC_ATTEMPT", std::to_string(attempt)}};

    UserStateCheck user_state(ctx.repo, ctx.scratch);
    TRY_VOID(user_state.before());
    Result<exec::ProcResult> proc = [&] {
      AgentTicker ticker(log_path, ctx.on_tick);
      return ctx.processes->run(spec);
    }();
    TRY(const std::string escaped, user_state.after("agent"));

    if (!escaped.empty()) {
      error = escaped + "; refused";  // outside the scratch: named, not undone
    } else if (!proc) {
      error = "agent could not be started: " + proc.error().message;
      ran = attempt > 1;  // earlier attempts' changes are in the worktree
    } else if (proc->interrupted) {
      error = "interrupted";
    } else if (proc->timed_out) {
      error = "timed out after " + std::to_string(ctx.opts.agent_timeout) + " s";
    } else if (proc->exit_code != 0) {
      error = proc->signal != 0 ? "agent killed by signal " + std::to_string(proc->signal)
                                : "agent exited with " + std::to_string(proc->exit_code);
    } else {
      // A changed git link is checked first: the worktree cannot even be opened through it.
      if (fingerprint(gitlink_path) != gitlink_before) {
        error = ".git: the agent changed the worktree's git link; refused";
        error_file = ".git";
      } else {
        TRY(changes, git::worktree_changes(ctx.repo, root, ctx.snapshot_tree));
        specials = special_files(root);
        if (auto refusal = find_refusal(root, changes, specials)) {
          error = refusal->message;
          error_file = refusal->path;
        }
      }
    }

    // Syntax checks of the files it wrote.
    if (error.empty()) {
      std::vector<std::string> written;
      for (const auto& c : changes)
        if (c.status != Status::kDeleted && is_blob_mode(c.mode)) written.push_back(c.path);
      exec::SyntaxReport syntax = ctx.syntax != nullptr
                                      ? ctx.syntax->check(written)
                                      : exec::check_syntax(root, written, ctx.opts.checks);
      notes = syntax.notes;
      if (!syntax.errors.empty()) {
        const auto& e = syntax.errors.front();
        error = exec::describe(e);
        error_file = e.path;
        error_line = e.line;
      }
    }
    if (!error.empty()) {
      if (proc) result.output_tail = tail_of_file(log_path, 5);
      break;
    }
    // Does it verify now? If not, the next attempt is told what is missing.
    missing = still_missing(ctx, tasks);
    if (missing.empty()) break;
  }

  FileSets files;
  std::map<std::string, FileSets> per_task;
  if (error.empty()) {
    files = classify(ctx.repo, ctx.snapshot_tree, changes);
    // Which task a file belongs to: the tasks that name it, else the first.
    auto assign = [&](const std::string& path, auto add) {
      bool any = false;
      for (const auto* t : tasks) {
        if (!unit_call || named_paths(ctx.in, *t).count(path)) {
          add(per_task[t->id]);
          any = true;
        }
      }
      if (!any) add(per_task[tasks.front()->id]);
    };
    for (const auto& p : files.created)
      assign(p, [&](FileSets& s) { s.created.push_back(p); });
    for (const auto& p : files.modified)
      assign(p, [&](FileSets& s) { s.modified.push_back(p); });
    for (const auto& p : files.deleted)
      assign(p, [&](FileSets& s) { s.deleted.push_back(p); });
    for (const auto& r : files.renamed)
      assign(r.second, [&](FileSets& s) { s.renamed.push_back(r); });
  }

  std::vector<git::Repository::Change> tree_changes;
  for (const auto& c : changes) {
    if (c.status == Status::kDeleted) {
      tree_changes.push_back({c.path, std::nullopt, kModeFile});
    } else {
      tree_changes.push_back({c.path, c.content, c.mode});
    }
  }

  // Evidence hooks for the tasks that have none in the worktree's tasks.md.
  std::set<std::string> hooked;
  if (error.empty() && ctx.tasks_tracked && ctx.opts.evidence_hooks && !ctx.in.tasks_rel.empty()) {
    const std::string& rel = ctx.in.tasks_rel;
    auto current = text::read_file(root + "/" + rel);
    if (current) {
      std::string text_now = *current;
      for (const auto* t : tasks) {
        auto doc = tasks::parse(text_now, rel);
        const TaskLine* line = doc ? doc->find(t->id) : nullptr;
        if (line == nullptr || line->evidence_lines > 0) continue;
        const FileSets& mine = per_task[t->id];
        std::vector<std::string> produced = mine.created;
        produced.insert(produced.end(), mine.modified.begin(), mine.modified.end());
        for (const auto& r : mine.renamed) produced.push_back(r.second);
        std::sort(produced.begin(), produced.end());
        // The first code and test file it produced: files the pack names with
        // that role first, then by the look of the path.
        std::string code, test;
        for (int pass = 0; pass < 2; ++pass) {
          for (const auto& p : produced) {
            if (p == rel) continue;
            auto entry = std::find_if(changes.begin(), changes.end(),
                                      [&](const WorktreeChange& c) { return c.path == p; });
            if (entry == changes.end() || !is_blob_mode(entry->mode)) continue;
            FileRole role = pass == 0 ? named_role(ctx.in, *t, p) : guessed_role(p);
            if (role == FileRole::kCode && code.empty()) code = p;
            if (role == FileRole::kTest && test.empty()) test = p;
          }
        }
        auto entries = exec::canonical_evidence(code, ctx.in.pack.tasks[t->pack_index].symbol, test);
        if (entries.empty()) continue;
        auto updated = exec::ensure_evidence(text_now, t->id, entries, rel);
        if (updated && *updated != text_now) {
          text_now = std::move(*updated);
          hooked.insert(t->id);
        }
      }
      if (text_now != *current) {
        TRY_VOID(text::write_file_atomic(root + "/" + rel, text_now));
        std::uint32_t mode = ctx.repo.entry(ctx.snapshot_tree, rel).mode;
        if (!is_blob_mode(mode)) mode = kModeFile;
        std::erase_if(tree_changes, [&](const auto& c) { return c.path == rel; });
        tree_changes.push_back({rel, text_now, mode});
      }
    }
  }

  if (error.empty()) {
    TRY(result.new_tree, ctx.repo.update_tree(ctx.snapshot_tree, tree_changes));
    result.ok = true;
  } else if (ran) {
    TRY_VOID(restore(ctx, gitlink_before));
  }

  const long duration_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - started)
                                                 .count());
  for (const auto* t : tasks) {
    report::TaskReport tr;
    tr.id = t->id;
    tr.title = t->title;
    tr.log = log_path;
    tr.duration_ms = duration_ms;
    tr.notes = notes;
    tr.attempts = attempt;
    for (const auto& l : earlier_logs) tr.notes.push_back("log of an earlier attempt: " + l);
    if (result.ok) {
      auto m = std::find_if(missing.begin(), missing.end(),
                            [&](const Missing& x) { return x.id == t->id; });
      if (m != missing.end()) {
        tr.notes.push_back("not verified after " + std::to_string(attempt) +
                           (attempt == 1 ? " attempt" : " attempts") + ": " + join(m->lines, "; "));
      } else if (attempt > 1) {
        tr.notes.push_back("verified after attempt " + std::to_string(attempt));
      }
    }
    if (result.ok) {
      tr.status = report::TaskStatus::kSucceeded;
      const FileSets& mine = per_task[t->id];
      tr.files_created = mine.created;
      tr.files_modified = mine.modified;
      tr.files_renamed = mine.renamed;
      for (const auto& d : mine.deleted) tr.notes.push_back("deleted " + d);
      if (hooked.count(t->id)) tr.notes.push_back("evidence hooks added to " + ctx.in.tasks_rel);
    } else {
      tr.status = report::TaskStatus::kFailed;
      tr.error = error;
      tr.file = error_file;
      tr.line = error_line;
      const auto& sugg = ctx.in.pack.tasks[t->pack_index].suggestions;
      if (!sugg.empty()) tr.suggested_fix = sugg.front();
    }
    if (unit_call) tr.notes.push_back("one agent call for the unit's tasks " + join(ids, ", "));
    result.tasks.push_back(std::move(tr));
  }
  return result;
}

}  // namespace smartspec::engine
