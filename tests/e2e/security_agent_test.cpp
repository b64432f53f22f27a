// Issue 15 item 2, adversarially: an agent (a real sh script) that runs git
// commands in its directory and writes into the user's repository by
// absolute path (found through its scratch's objects/info/alternates, the
// way an agent that looks around would find it). Without the sandbox the
// git commands reach only the scratch repository and the absolute-path
// writes are named and fail the task; with --agent-sandbox (bubblewrap) the
// writes are impossible. Checked with checksums of what the user owns, the
// real git, and `git fsck --strict`.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "e2e/hostile/robust_support.hpp"
#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRunId = "20261124_073208-fields-aligned";

std::string fixture_pack() { return (fixtures() / "inventory" / "packs" / kRunId).string(); }

// What the user owns in .git beyond user_state(): config, hooks, HEAD and
// the reflog of the stash, byte for byte.
std::string git_files(const std::string& repo) {
  return sh("cd .git && find config HEAD hooks logs/refs/stash info -type f -print0 | sort -z | "
            "xargs -0 sha1sum && find hooks -printf '%p %m %s\\n' | sort",
            repo)
      .out;
}

std::string everything(const std::string& repo) {
  return user_state(repo) + "\n--\n" + git_files(repo) + "\n--\n" +
         git(repo,
             {"for-each-ref", "--format=%(refname) %(objectname)", "--exclude=refs/smartspec",
              "--exclude=refs/heads/smartspec", "--exclude=refs/notes/smartspec"},
             false);
}

// The user's repository: the inventory project, a branch `feature`, a stash.
std::string setup_repo(const TempDir& dir) {
  std::string repo = make_inventory_repo(dir);
  git(repo, {"branch", "feature"});
  write(repo + "/docs/usage.md", read(repo + "/docs/usage.md") + "work in progress\n");
  git(repo, {"stash"});
  return repo;
}

// The agent: plain git commands in its directory (what a confused or hostile
// agent does), then, with ESCAPE=1, writes into the user's working tree and
// .git/hooks by absolute path; always the task's own file.
std::string write_agent(const TempDir& dir) {
  const std::string path = dir.str() + "/agent.sh";
  write(
      path,
      "#!/bin/sh\n"
      "cat >/dev/null\n"
      "gd=$(git rev-parse --git-common-dir)\n"
      "user_git=$(sed 's|/objects$||' \"$gd/objects/info/alternates\")\n"
      "user_tree=$(dirname \"$user_git\")\n"
      "echo \"cwd $(pwd) git $gd user $user_git\"\n"
      "git stash clear\n"
      "git branch -D feature || true\n"
      "git update-ref refs/heads/main \"$(git commit-tree 'HEAD^{tree}' -m moved)\"\n"
      "git update-ref refs/heads/feature HEAD\n"
      "git config core.fsmonitor \"touch $SENTINEL\"\n"
      "git config core.hooksPath /nonexistent\n"
      "echo scratch > scratch-only.txt && git add scratch-only.txt && git stash && git stash list\n"
      "git checkout -q -b agent-branch && git commit -q --allow-empty -m agent\n"
      "mkdir -p docs && printf '# Configuration\\n' > docs/configuration.md\n"
      "if [ \"$ESCAPE\" = 1 ]; then\n"
      "  echo 'escaped' >> \"$user_tree/docs/usage.md\" || echo 'usage.md: write refused'\n"
      "  printf '#!/bin/sh\\necho pwned\\n' > \"$user_git/hooks/post-checkout\" "
      "|| echo 'hook: write refused'\n"
      "  echo 'escaped' > /tmp/smartspec-escape-$SENTINEL_ID || echo '/tmp: write refused'\n"
      "  echo ok > \"$AGENT_CACHE/written\" || echo 'cache: write refused'\n"
      "fi\n"
      "exit 0\n");
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

std::vector<std::string> run_args(const std::string& agent) {
  return {
      "run", "--prompts-dir",   fixture_pack(),    "--tasks",     "tasks.md", "--agent",
      agent, "--only-category", "not_implemented", "--agent-per", "unit",     "--no-verify-at-end"};
}

TEST(AgentIsolation, GitCommandsInTheAgentsDirectoryReachOnlyItsScratchRepository) {
  TempDir dir;
  std::string repo = setup_repo(dir);
  const std::string before = everything(repo);
  const std::string stash = git(repo, {"stash", "list"});
  ASSERT_FALSE(stash.empty());
  const std::string sentinel = dir.str() + "/fsmonitor-ran";
  auto r = run_tool(run_args(write_agent(dir)), repo,
                    {{"ESCAPE", "0"}, {"SENTINEL", sentinel}, {"SENTINEL_ID", "none"}});
  // 1: the agent writes only TSK-INV-010's file; the unit's other two tasks are "no change".
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The user's refs, stash, config, hooks, HEAD, index and files: unchanged.
  EXPECT_EQ(everything(repo), before);
  EXPECT_EQ(git(repo, {"stash", "list"}), stash);
  EXPECT_EQ(git(repo, {"config", "--get", "core.fsmonitor"}, false), "");
  // The fsmonitor command the agent configured ran for its own git commands
  // in the scratch; the user's git never runs it.
  fs::remove(sentinel);
  git(repo, {"status", "--porcelain"});
  EXPECT_FALSE(fs::exists(sentinel));
  // The task's own change is the unit's commit, and nothing of the git games.
  const std::string branch = std::string("smartspec/") + kRunId;
  EXPECT_EQ(git(repo, {"show", branch + ":docs/configuration.md"}), "# Configuration");
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", branch}).find("scratch-only"),
            std::string::npos);
  auto fsck = run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  // The agent worked outside the user's .git, in a repository of its own.
  auto log = sh("cat .git/smartspec/logs/*/not_implemented.log", repo).out;
  EXPECT_EQ(log.find("cwd " + repo), std::string::npos) << log;
  EXPECT_NE(log.find("user " + repo + "/.git"), std::string::npos) << log;
}

TEST(AgentIsolation, AnAbsolutePathWriteIntoTheUsersRepositoryIsNamedAndFailsTheTask) {
  TempDir dir;
  std::string repo = setup_repo(dir);
  const std::string usage = read(repo + "/docs/usage.md");
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const std::string id = std::to_string(::getpid()) + "-nosandbox";
  auto r = run_tool(run_args(write_agent(dir)), repo,
                    {{"ESCAPE", "1"},
                     {"SENTINEL", dir.str() + "/fsmonitor-ran"},
                     {"SENTINEL_ID", id},
                     {"AGENT_CACHE", dir.str()}});
  fs::remove("/tmp/smartspec-escape-" + id);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const std::string out = r.out + r.err;
  EXPECT_NE(out.find("agent changed your repository outside its worktree: "
                     ".git/hooks/post-checkout, docs/usage.md (working tree); refused"),
            std::string::npos)
      << out;
  // Named, not undone (the write is the user's to inspect); nothing of the
  // task reached the result branch.
  EXPECT_EQ(read(repo + "/docs/usage.md"), usage + "escaped\n");
  EXPECT_EQ(git(repo, {"rev-parse", std::string("smartspec/") + kRunId}), base);
  auto fsck = run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

// --verify-cmd (the user's own command, run on what a pack or an agent
// wrote) is checked too, but a change is a warning, not a failure: the user
// may commit while a run goes on (robust_concurrency_test.cpp).
TEST(AgentIsolation, VerifyCmdChangesOutsideItsWorktreeAreNamed) {
  TempDir dir;
  std::string repo = setup_repo(dir);
  const std::string before = everything(repo);
  // git commands in its directory: the scratch's refs and stash only.
  auto ok = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md",
                      "--only-category", "not_implemented", "--no-verify-at-end", "--verify-cmd",
                      "sh -c 'git stash clear && git branch -D feature; git update-ref "
                      "refs/heads/main HEAD && git config core.fsmonitor false'"},
                     repo);
  EXPECT_NE(ok.exit_code, 3) << ok.out << ok.err;
  EXPECT_EQ(ok.err.find("changed your repository"), std::string::npos) << ok.err;
  EXPECT_EQ(everything(repo), before);
  // By absolute path: named.
  auto bad = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--run-id",
                       "second", "--only-category", "not_implemented", "--no-verify-at-end",
                       "--verify-cmd", "sh -c 'git -C \"$USER_REPO\" tag evil'"},
                      repo, {{"USER_REPO", repo}});
  EXPECT_NE(bad.exit_code, 3) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("--verify-cmd changed your repository outside its worktree: "
                         "refs/tags/evil (or someone else did meanwhile)"),
            std::string::npos)
      << bad.out << bad.err;
}

TEST(AgentSandbox, WritesOutsideTheScratchAreImpossible) {
  if (run({"bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--", "/bin/true"}).exit_code != 0) {
    GTEST_SKIP() << "bubblewrap cannot create a sandbox on this machine";
  }
  TempDir dir;
  std::string repo = setup_repo(dir);
  const std::string before = everything(repo);
  const std::string cache = dir.str() + "/agent-cache";
  fs::create_directories(cache);
  const std::string id = std::to_string(::getpid()) + "-sandbox";
  auto args = run_args(write_agent(dir));
  args.insert(args.end(), {"--agent-sandbox", "--agent-writable", cache});
  auto r = run_tool(args, repo,
                    {{"ESCAPE", "1"},
                     {"SENTINEL", dir.str() + "/fsmonitor-ran"},
                     {"SENTINEL_ID", id},
                     {"AGENT_CACHE", cache}});
  // 1: the agent writes only TSK-INV-010's file; the unit's other two tasks are "no change".
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Every write outside the scratch failed inside the sandbox; the one into
  // the --agent-writable directory did not; its /tmp was its own.
  auto log = sh("cat .git/smartspec/logs/*/not_implemented.log", repo).out;
  EXPECT_NE(log.find("usage.md: write refused"), std::string::npos) << log;
  EXPECT_NE(log.find("hook: write refused"), std::string::npos) << log;
  EXPECT_EQ(log.find("/tmp: write refused"), std::string::npos) << log;
  EXPECT_EQ(log.find("cache: write refused"), std::string::npos) << log;
  EXPECT_EQ(read(cache + "/written"), "ok\n");
  EXPECT_FALSE(fs::exists("/tmp/smartspec-escape-" + id));
  EXPECT_EQ(everything(repo), before);
  const std::string branch = std::string("smartspec/") + kRunId;
  EXPECT_EQ(git(repo, {"show", branch + ":docs/configuration.md"}), "# Configuration");
  auto fsck = run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

// Pids of live processes whose command line contains `token`.
std::vector<int> processes_with(const std::string& token) {
  std::vector<int> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::string cmd;
    try {
      cmd = read(e.path() / "cmdline");
    } catch (...) {
      continue;
    }
    if (cmd.find(token) != std::string::npos && !process_gone(std::stoi(name))) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

// The sandbox has its own PID namespace and dies with the tool: a process the
// agent started with setsid (which leaves any process group) ends when the
// tool is killed.
TEST(AgentSandbox, WhatTheAgentStartedEndsWhenTheToolIsKilled) {
  if (run({"bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--", "/bin/true"}).exit_code != 0) {
    GTEST_SKIP() << "bubblewrap cannot create a sandbox on this machine";
  }
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string cache = dir.str() + "/agent-cache";
  fs::create_directories(cache);
  const std::string token = "86399." + std::to_string(::getpid());
  const std::string agent = dir.str() + "/agent.sh";
  write(
      agent,
      "#!/bin/sh\ncat >/dev/null\nsetsid sleep " + token +
          " </dev/null >/dev/null 2>&1 &\necho started > \"$AGENT_CACHE/started\"\nsleep 86398\n");
  fs::permissions(agent, fs::perms::owner_all);
  auto env = robust::fast_env();
  env["AGENT_CACHE"] = cache;
  auto args = run_args(agent);
  args.insert(args.end(), {"--agent-sandbox", "--agent-writable", cache});
  robust::Child child(args, repo, dir.str() + "/run.log", env);
  ASSERT_TRUE(robust::eventually([&] { return fs::exists(cache + "/started"); }))
      << read(dir.str() + "/run.log");
  ASSERT_TRUE(robust::eventually([&] { return !processes_with(token).empty(); }));
  child.signal(SIGKILL);
  child.wait();
  EXPECT_TRUE(robust::eventually([&] { return processes_with(token).empty(); }));
  for (int pid : processes_with(token)) ::kill(pid, SIGKILL);  // a failed test leaves nothing
}

// --jobs with --agent-sandbox: each call's sandbox makes only its own lane
// writable. A write into the user's repository or into another lane's
// checkout fails inside the sandbox, and what each call wrote in its own lane
// lands, with the tree of one call at a time.
TEST(AgentSandbox, EachLaneIsWritableOnlyInItsOwnCall) {
  if (run({"bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--", "/bin/true"}).exit_code != 0) {
    GTEST_SKIP() << "bubblewrap cannot create a sandbox on this machine";
  }
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string before = everything(repo);
  const std::string agent = dir.str() + "/agent.sh";
  write(agent,
        "#!/bin/sh\n"
        "cat > /dev/null\n"
        "mkdir -p agent_notes\n"
        "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
        "lanes=$(dirname \"$SMARTSPEC_WORKTREE\")\n"
        "for other in main lane-2 lane-3; do\n"
        "  [ \"$lanes/$other\" = \"$SMARTSPEC_WORKTREE\" ] && continue\n"
        "  (echo x > \"$lanes/$other/escape-$SMARTSPEC_TASK_ID\") 2>/dev/null "
        "&& echo \"$other: written\" || echo \"$other: write refused\"\n"
        "done\n"
        "(echo x >> \"$USER_REPO/docs/escape.md\") 2>/dev/null "
        "&& echo 'repo: written' || echo 'repo: write refused'\n"
        "exit 0\n");
  fs::permissions(agent, fs::perms::owner_all);
  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     agent, "--only-category", "not_implemented", "--no-verify-at-end",
                     "--agent-attempts", "1", "--jobs", "3", "--agent-sandbox"},
                    repo, {{"USER_REPO", repo}});
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.exit_code, 3) << r.out << r.err;
  const std::string logs = sh("cat .git/smartspec/logs/*/TSK-INV-01*.log", repo).out;
  EXPECT_EQ(logs.find(": written"), std::string::npos) << logs;
  // Each call tried the two other lanes and the repository.
  std::size_t refused = 0;
  for (std::size_t at = logs.find("write refused"); at != std::string::npos;
       at = logs.find("write refused", at + 1))
    ++refused;
  EXPECT_EQ(refused, 9u) << logs;
  for (const char* lane : {"main", "lane-2", "lane-3"})
    for (const auto& e : fs::directory_iterator(scratch_path(repo, lane)))
      EXPECT_EQ(e.path().filename().string().rfind("escape-", 0), std::string::npos) << e.path();
  EXPECT_EQ(everything(repo), before);
  const std::string branch = std::string("smartspec/") + kRunId;
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", branch, "--", "agent_notes"}),
            "agent_notes/TSK-INV-010.md\nagent_notes/TSK-INV-011.md\nagent_notes/TSK-INV-012.md");
  auto fsck = run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

TEST(AgentSandbox, MissingBubblewrapIsAUsageErrorBeforeAnythingIsWritten) {
  TempDir dir;
  std::string repo = setup_repo(dir);
  const std::string before = everything(repo);
  auto args = run_args(write_agent(dir));
  args.push_back("--agent-sandbox");
  auto r = run_tool(args, repo, {{"PATH", dir.str() + "/no-bin"}});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.err,
            "smartspec-batch: error: --agent-sandbox needs bubblewrap (bwrap), which is not "
            "installed or not in PATH (Debian: apt-get install bubblewrap)\n");
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec", "refs/heads/smartspec"}), "");
  EXPECT_EQ(everything(repo), before);
  auto w = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     "true", "--agent-sandbox", "--agent-writable", dir.str() + "/missing"},
                    repo);
  EXPECT_EQ(w.exit_code, 2) << w.err;
  EXPECT_EQ(w.err, "smartspec-batch: error: --agent-writable " + dir.str() +
                       "/missing: not an existing directory\n");
}

// --resume restores --agent-sandbox from the run state: bubblewrap is checked
// for the restored options too, not only for those on the command line.
TEST(AgentSandbox, AResumedSandboxedRunChecksForBubblewrapToo) {
  TempDir dir;
  std::string repo = setup_repo(dir);
  auto first =
      run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                "/bin/false", "--agent-sandbox", "--agent-attempts", "1", "--max-failures", "0"},
               repo);
  ASSERT_EQ(first.exit_code, 3) << first.out << first.err;
  const std::string before = everything(repo);
  auto resumed =
      run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--resume"}, repo,
               {{"PATH", dir.str() + "/no-bin"}});
  EXPECT_EQ(resumed.exit_code, 2) << resumed.out << resumed.err;
  EXPECT_EQ(resumed.err,
            "smartspec-batch: error: --agent-sandbox needs bubblewrap (bwrap), which is not "
            "installed or not in PATH (Debian: apt-get install bubblewrap)\n");
  EXPECT_EQ(everything(repo), before);
}

}  // namespace
}  // namespace smartspec::test
