// Shared by the run-management end-to-end tests (tests/e2e/ops_*_test.cpp):
// the inventory example pack, a finished and a stopped run on real repositories.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "support/test_support.hpp"

namespace smartspec::test::ops {

inline const std::string kRun = "20251226_083000";
inline const std::string kBranch = "smartspec/20251226_083000";

inline std::string pack_dir() {
  return (source_dir() / "examples" / "inventory" / "packs" / kRun).string();
}

// A copy of the example pack (same run id) whose missing_code task names a
// path outside the repository, so that unit fails.
inline std::string bad_pack(const TempDir& dir) {
  fs::path out = dir.path() / "badpacks" / kRun;
  fs::create_directories(out.parent_path());
  fs::copy(pack_dir(), out, fs::copy_options::recursive);
  sh("chmod -R u+w .", out.string());
  std::string md = read(out / "missing_code.md");
  auto pos = md.find("src/inventory/reports.py");
  md.replace(pos, std::string("src/inventory/reports.py").size(), "../x.py");
  write(out / "missing_code.md", md);
  return out.string();
}

inline CmdResult run_pack(const std::string& repo, const std::string& pack,
                          std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", "--prompts-dir", pack, "--tasks", "tasks.md"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_tool(args, repo);
}

// A repository with the example pack run to the end (exit 0).
inline std::string finished_run(const TempDir& dir) {
  std::string repo = make_inventory_repo(dir);
  // The reports are the run's own untracked files; keep them out of `git status`.
  write(fs::path(repo) / ".git" / "info" / "exclude", ".spec/reports/\n.spec/checkpoints/\n");
  CmdResult r = run_pack(repo, pack_dir());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return repo;
}

// A repository whose run stopped at missing_code (exit 3).
inline std::string stopped_run(const TempDir& dir) {
  std::string repo = make_inventory_repo(dir);
  write(fs::path(repo) / ".git" / "info" / "exclude", ".spec/reports/\n.spec/checkpoints/\n");
  CmdResult r = run_pack(repo, bad_pack(dir), {"--max-failures", "1"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  return repo;
}

// Every ref of the repository with its target: equal strings = no ref moved.
inline std::string all_refs(const std::string& repo) {
  return git(repo, {"for-each-ref", "--format=%(refname) %(objectname)"});
}

inline std::string rev(const std::string& repo, const std::string& r) {
  return git(repo, {"rev-parse", r});
}

// Waits (bounded) until a run started in the background has finished: its
// report note is on the result branch and the repository lock is released.
inline bool wait_for_run(const std::string& repo, const std::string& branch, int seconds = 60) {
  for (int i = 0; i < seconds * 10; ++i) {
    bool noted =
        run({"git", "-C", repo, "notes", "--ref=smartspec", "show", branch}).exit_code == 0;
    if (noted && !fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace smartspec::test::ops
