// The agent executor (issue 7) on real repositories: a scratch worktree with a
// full checkout, small POSIX sh agents written by the tests, the resulting
// trees checked with the real git, failures undone without a trace.
#include "engine/agent.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "smartspec/tasks/tasks.hpp"
#include "support/test_support.hpp"

namespace smartspec::engine {
namespace {

namespace fs = std::filesystem;
using test::git;

const char* kTasksMd =
    "# Tasks\n"
    "\n"
    "- [ ] TASK-001 Add b\n"
    "- [ ] TASK-002 Add c\n"
    "  evidence: code path=src/c.py symbol=c\n";

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_path_ = test::make_repo(dir_, {{"src/app.py", "def a():\n    return 1\n"},
                                        {"README.md", "readme\n"},
                                        {"old.txt", "old content\n"},
                                        {".gitignore", "*.log\n"},
                                        {"tasks.md", kTasksMd}});
    auto repo = git::Repository::open({repo_path_, false});
    ASSERT_TRUE(repo) << repo.error().to_string();
    Pack pack;
    PackTask t1;
    t1.id = "TASK-001";
    t1.title = "Add b";
    t1.symbol = "b";
    t1.raw = "## Task 1: TASK-001 Add b\n\n**Path:** `src/pkg/b.py`\n\nWrite b().\n";
    PackFile f;
    f.path = "src/pkg/b.py";
    f.role = FileRole::kCode;
    t1.files.push_back(f);
    t1.suggestions = {"Create src/pkg/b.py"};
    PackTask t2;
    t2.id = "TASK-002";
    t2.title = "Add c";
    t2.raw = "## Task 2: TASK-002 Add c\n\nWrite c() in src/c.py.";
    pack.tasks = {t1, t2};
    auto doc = tasks::parse(kTasksMd, "tasks.md");
    ASSERT_TRUE(doc);
    base_ = git(repo_path_, {"rev-parse", "HEAD"});
    in_.emplace(Inputs{std::move(*repo),
                       std::move(pack),
                       std::move(*doc),
                       "tasks.md",
                       "run-7",
                       base_,
                       "digest",
                       {}});
    auto scratch = git::Scratch::open(in_->repo, "main");
    ASSERT_TRUE(scratch) << scratch.error().to_string();
    scratch_.emplace(std::move(*scratch));
    ASSERT_TRUE(scratch_->checkout_full(base_));
    snapshot_ = git(repo_path_, {"rev-parse", "HEAD^{tree}"});
    log_dir_ = dir_.str() + "/logs";
    planned_[0].id = "TASK-001";
    planned_[0].title = "Add b";
    planned_[0].pack_index = 0;
    planned_[1].id = "TASK-002";
    planned_[1].title = "Add c";
    planned_[1].pack_index = 1;
    opts_.tasks = repo_path_ + "/tasks.md";
    opts_.agent_timeout = 30;
  }

  // Writes an agent script and points --agent at it.
  std::string agent(const std::string& body, const std::string& args = "") {
    std::string path = dir_.str() + "/agent.sh";
    test::write(path, body);
    opts_.agent = "sh " + path + (args.empty() ? "" : " " + args);
    return path;
  }

  Result<AgentResult> run(std::vector<const plan::PlannedTask*> tasks = {}) {
    if (tasks.empty()) tasks = {&planned_[0]};
    AgentContext ctx{opts_, *in_, in_->repo, *scratch_, "missing_code", snapshot_, log_dir_, true};
    auto processes = real_processes();
    ctx.processes = processes.get();
    return run_agent(ctx, tasks);
  }

  std::string wt() const { return scratch_->path(); }

  // The worktree equals `tree` (libgit2's diff, and the file list of git ls-tree).
  void expect_worktree_is(const std::string& tree) {
    auto left = git::worktree_changes(in_->repo, wt(), tree, true);
    ASSERT_TRUE(left) << left.error().to_string();
    EXPECT_TRUE(left->empty()) << left->front().path;
    std::set<std::string> want;
    std::string listing = git(repo_path_, {"ls-tree", "-r", "-t", "--name-only", tree});
    std::istringstream lines(listing);
    for (std::string l; std::getline(lines, l);) {
      want.insert(git(repo_path_, {"cat-file", "-t", tree + ":" + l}) == "tree" ? l + "/" : l);
    }
    EXPECT_EQ(test::files_under(wt()), want);
  }

  test::TempDir dir_;
  std::string repo_path_, base_, snapshot_, log_dir_;
  std::optional<Inputs> in_;
  std::optional<git::Scratch> scratch_;
  RunOptions opts_;
  plan::PlannedTask planned_[2];
};

TEST_F(AgentTest, EditsCreatesDeletesAndRenamesBecomeTheNewTree) {
  agent(
      "printf 'def a():\\n    return 2\\n' > src/app.py\n"
      "mkdir -p src/pkg && printf 'def b():\\n    return 3\\n' > src/pkg/b.py\n"
      "mkdir -p tests && printf 'def test_b():\\n    assert True\\n' > tests/test_b.py\n"
      "rm old.txt\n"
      "mkdir docs && mv README.md docs/README.md\n"
      "printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod +x run.sh\n"
      "echo agent done; echo to stderr >&2\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok);
  ASSERT_EQ(r->tasks.size(), 1u);
  const report::TaskReport& t = r->tasks[0];
  EXPECT_EQ(t.id, "TASK-001");
  EXPECT_EQ(t.status, report::TaskStatus::kSucceeded);
  EXPECT_EQ(t.error, "");
  EXPECT_EQ(t.files_created,
            (std::vector<std::string>{"run.sh", "src/pkg/b.py", "tests/test_b.py"}));
  EXPECT_EQ(t.files_modified, (std::vector<std::string>{"src/app.py"}));
  EXPECT_EQ(t.files_renamed,
            (std::vector<std::pair<std::string, std::string>>{{"README.md", "docs/README.md"}}));
  EXPECT_EQ(t.notes,
            (std::vector<std::string>{"deleted old.txt", "evidence hooks added to tasks.md"}));
  EXPECT_EQ(t.log, log_dir_ + "/TASK-001.log");
  EXPECT_EQ(test::read(t.log), "agent done\nto stderr\n");

  EXPECT_NE(r->new_tree, snapshot_);
  EXPECT_EQ(git(repo_path_, {"ls-tree", "-r", r->new_tree}),
            "100644 blob " + git(repo_path_, {"rev-parse", r->new_tree + ":.gitignore"}) +
                "\t.gitignore\n"
                "100644 blob " +
                git(repo_path_, {"rev-parse", r->new_tree + ":docs/README.md"}) +
                "\tdocs/README.md\n"
                "100755 blob " +
                git(repo_path_, {"rev-parse", r->new_tree + ":run.sh"}) +
                "\trun.sh\n"
                "100644 blob " +
                git(repo_path_, {"rev-parse", r->new_tree + ":src/app.py"}) +
                "\tsrc/app.py\n"
                "100644 blob " +
                git(repo_path_, {"rev-parse", r->new_tree + ":src/pkg/b.py"}) +
                "\tsrc/pkg/b.py\n"
                "100644 blob " +
                git(repo_path_, {"rev-parse", r->new_tree + ":tasks.md"}) +
                "\ttasks.md\n"
                "100644 blob " +
                git(repo_path_, {"rev-parse", r->new_tree + ":tests/test_b.py"}) +
                "\ttests/test_b.py");
  EXPECT_EQ(git(repo_path_, {"show", r->new_tree + ":src/app.py"}), "def a():\n    return 2");
  EXPECT_EQ(git(repo_path_, {"show", r->new_tree + ":docs/README.md"}), "readme");
  // The task had no evidence line: canonical hooks for the code and test it produced.
  EXPECT_EQ(git(repo_path_, {"show", r->new_tree + ":tasks.md"}) + "\n",
            "# Tasks\n"
            "\n"
            "- [ ] TASK-001 Add b\n"
            "  evidence: code path=src/pkg/b.py symbol=b\n"
            "  evidence: test path=tests/test_b.py\n"
            "- [ ] TASK-002 Add c\n"
            "  evidence: code path=src/c.py symbol=c\n");
  EXPECT_EQ(git(repo_path_, {"diff", "--name-status", "-M", snapshot_, r->new_tree}),
            "R100\tREADME.md\tdocs/README.md\n"
            "D\told.txt\n"
            "A\trun.sh\n"
            "M\tsrc/app.py\n"
            "A\tsrc/pkg/b.py\n"
            "M\ttasks.md\n"
            "A\ttests/test_b.py");
  // The worktree is the new tree: the next task starts from it.
  expect_worktree_is(r->new_tree);
  EXPECT_EQ(git(repo_path_, {"fsck", "--no-progress", "--no-dangling"}), "");
}

TEST_F(AgentTest, NoEvidenceHooksWhenDisabledOrTheTaskHasSome) {
  opts_.evidence_hooks = false;
  agent("printf 'def b():\\n    pass\\n' > b.py\n");
  auto r = run();
  ASSERT_TRUE(r && r->ok);
  EXPECT_EQ(git(repo_path_, {"diff", "--name-status", snapshot_, r->new_tree}), "A\tb.py");
  EXPECT_EQ(r->tasks[0].notes, std::vector<std::string>{});

  // TASK-002 has an evidence line already: hooks are never added to it.
  opts_.evidence_hooks = true;
  snapshot_ = r->new_tree;
  agent("printf 'def c():\\n    pass\\n' > src/c.py\n");
  auto r2 = run({&planned_[1]});
  ASSERT_TRUE(r2 && r2->ok);
  EXPECT_EQ(git(repo_path_, {"diff", "--name-status", snapshot_, r2->new_tree}), "A\tsrc/c.py");
}

TEST_F(AgentTest, NonZeroExitFailsAndRestoresTheSnapshot) {
  agent(
      "printf 'broken\\n' > src/app.py\n"
      "rm README.md\n"
      "mkdir -p new/deep && echo x > new/deep/file.txt && echo y > new.py\n"
      "echo ignored > debug.log\n"
      "chmod +x old.txt\n"
      "cp -r src src2 && rm -r src && echo flat > src\n"
      "echo failing; exit 1\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->new_tree, snapshot_);
  ASSERT_EQ(r->tasks.size(), 1u);
  EXPECT_EQ(r->tasks[0].status, report::TaskStatus::kFailed);
  EXPECT_EQ(r->tasks[0].error, "agent exited with 1");
  EXPECT_EQ(r->tasks[0].suggested_fix, "Create src/pkg/b.py");
  EXPECT_EQ(r->tasks[0].files_created, std::vector<std::string>{});
  EXPECT_EQ(test::read(r->tasks[0].log), "failing\n");
  expect_worktree_is(snapshot_);
  EXPECT_EQ(test::read(wt() + "/src/app.py"), "def a():\n    return 1\n");
  EXPECT_EQ(test::read(wt() + "/README.md"), "readme\n");
  struct stat st {};
  ASSERT_EQ(::stat((wt() + "/old.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0u);
}

TEST_F(AgentTest, TimeoutKillsTheAgentAndRestores) {
  opts_.agent_timeout = 1;
  agent("echo partial > src/app.py\necho started\nsleep 60\n");
  auto start = std::chrono::steady_clock::now();
  auto r = run();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, "timed out after 1 s");
  EXPECT_EQ(test::read(r->tasks[0].log), "started\n");
  EXPECT_LT(seconds, 20);  // not the agent's 60 s
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, NoProcessOutlivesTheAgent) {
  std::string pid_file = dir_.str() + "/child.pid";
  agent("sh -c 'trap \"\" TERM; sleep 60' &\necho $! > " + pid_file + "\necho x > x.txt\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->ok);
  int pid = std::stoi(test::read(pid_file));
  EXPECT_TRUE(test::process_gone(pid)) << pid;
  EXPECT_EQ(git(repo_path_, {"diff", "--name-only", snapshot_, r->new_tree}), "x.txt");
}

TEST_F(AgentTest, WritingTheGitLinkIsRefusedAndUndone) {
  const std::string before = test::read(wt() + "/.git");
  agent("echo changed > src/app.py\necho 'gitdir: /tmp/elsewhere' >> .git\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, ".git: the agent changed the worktree's git link; refused");
  EXPECT_EQ(r->tasks[0].file, ".git");
  EXPECT_EQ(test::read(wt() + "/.git"), before);
  expect_worktree_is(snapshot_);
  // The worktree is still registered and usable by git.
  EXPECT_EQ(git(wt(), {"rev-parse", "HEAD"}), base_);
}

TEST_F(AgentTest, ReplacingTheGitLinkByADirectoryIsRefusedAndUndone) {
  const std::string before = test::read(wt() + "/.git");
  agent("rm .git && mkdir -p .git/objects && echo x > .git/HEAD\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, ".git: the agent changed the worktree's git link; refused");
  EXPECT_EQ(test::read(wt() + "/.git"), before);
  EXPECT_EQ(git(wt(), {"rev-parse", "HEAD"}), base_);
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, NestedRepositoryIsRefusedAndRemoved) {
  agent("mkdir -p sub/.git && echo '[core]' > sub/.git/config && echo x > sub/file.txt\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, "sub: nested git repository refused");
  EXPECT_FALSE(fs::exists(wt() + "/sub"));
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, SymlinkOutOfTheTreeIsRefused) {
  agent("ln -s /etc etc_link\necho y > y.txt\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, "etc_link: symbolic link to /etc leaves the worktree; refused");
  EXPECT_EQ(r->tasks[0].file, "etc_link");
  EXPECT_FALSE(fs::exists(fs::symlink_status(wt() + "/etc_link")));
  expect_worktree_is(snapshot_);

  agent("mkdir -p a && ln -s ../../outside a/up\n");
  auto r2 = run();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->tasks[0].error,
            "a/up: symbolic link to ../../outside leaves the worktree; refused");
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, SymlinkInsideTheTreeIsCommittedAsALink) {
  agent("ln -s src/app.py app_link\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok) << r->tasks[0].error;
  EXPECT_EQ(git(repo_path_, {"ls-tree", r->new_tree, "app_link"}).substr(0, 12), "120000 blob ");
  EXPECT_EQ(git(repo_path_, {"cat-file", "-p", r->new_tree + ":app_link"}), "src/app.py");
  EXPECT_EQ(r->tasks[0].files_created, std::vector<std::string>{"app_link"});
}

TEST_F(AgentTest, FifoIsRefused) {
  agent("mkfifo pipe\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, "pipe: not a regular file (FIFO); refused");
  EXPECT_FALSE(fs::exists(fs::symlink_status(wt() + "/pipe")));
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, SyntaxErrorFailsTheTaskWithFileAndLine) {
  agent("printf '{\\n  \"a\": 1,\\n}\\n' > data.json\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error,
            "Syntax error in generated code: data.json:3: The JSON document has an improper "
            "structure: missing or superfluous commas, braces, missing keys, etc.");
  EXPECT_EQ(r->tasks[0].line, 3);
  EXPECT_EQ(r->tasks[0].file, "data.json");
  EXPECT_FALSE(fs::exists(wt() + "/data.json"));
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, AgentThatCannotStartFails) {
  opts_.agent = dir_.str() + "/no-such-agent";
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error,
            "agent could not be started: " + dir_.str() + "/no-such-agent: command not found");
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, PromptEnvironmentAndPlaceholder) {
  std::string out = dir_.str() + "/seen";
  agent(
      "printf '%s\\n' \"$1\" \"$2\" \"$PWD\" \"$SMARTSPEC_TASK_ID\" \"$SMARTSPEC_UNIT\" "
      "\"$SMARTSPEC_CATEGORY\" \"$SMARTSPEC_PROMPT_FILE\" \"$SMARTSPEC_TASKS_FILE\" "
      "\"$SMARTSPEC_RUN_ID\" \"$SMARTSPEC_WORKTREE\" > " +
          out +
          ".env\n"
          "cat > " +
          out + ".stdin\n",
      "{prompt_file} --file={prompt_file}");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->ok);
  const std::string prompt = log_dir_ + "/TASK-001.prompt.md";
  EXPECT_EQ(test::read(out + ".env"), prompt + "\n--file=" + prompt + "\n" + wt() +
                                          "\nTASK-001\nmissing_code\nmissing_code\n" + prompt +
                                          "\n" + wt() + "/tasks.md\nrun-7\n" + wt() + "\n");
  const std::string want =
      "# SmartSpec task TASK-001: Add b\n"
      "\n"
      "- Unit: missing_code\n"
      "- Tasks file: tasks.md\n"
      "\n"
      "## The task, from the prompt pack\n"
      "\n"
      "## Task 1: TASK-001 Add b\n\n**Path:** `src/pkg/b.py`\n\nWrite b().\n"
      "\n"
      "## What done means\n"
      "\n"
      "TASK-001 has no evidence line in tasks.md: it is done when the section above is done.\n"
      "\n"
      "- the pack asks for the symbol `b`\n"
      "\n"
      "Files: `src/pkg/b.py`\n"
      "\n"
      "## Rules\n"
      "\n"
      "- Work only in the current directory, a checkout of the project: create, change or\n"
      "  delete files there and nowhere else.\n"
      "- Do not commit, stage or change anything in `.git`: smartspec-batch commits what you\n"
      "  change in this directory, as one commit per unit.\n"
      "- Do not tick tasks or change evidence lines in tasks.md.\n"
      "- Code fences in the section are templates: write real code, not TODOs.\n";
  EXPECT_EQ(test::read(prompt), want);
  EXPECT_EQ(test::read(out + ".stdin"), want);
  // Nothing changed: the tree stays.
  EXPECT_EQ(r->new_tree, snapshot_);
}

TEST_F(AgentTest, UnitCallRunsOnceForAllTasks) {
  std::string out = dir_.str() + "/seen";
  agent("echo \"$SMARTSPEC_TASK_ID\" >> " + out + ".ids\ncat > " + out +
        ".stdin\n"
        "mkdir -p src/pkg && printf 'def b():\\n    pass\\n' > src/pkg/b.py\n"
        "printf 'def c():\\n    pass\\n' > src/c.py\n"
        "echo notes > notes.txt\n");
  auto r = run({&planned_[0], &planned_[1]});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(test::read(out + ".ids"), "TASK-001,TASK-002\n");
  const std::string prompt = test::read(log_dir_ + "/missing_code.prompt.md");
  EXPECT_EQ(test::read(out + ".stdin"), prompt);
  EXPECT_EQ(prompt.rfind("# SmartSpec tasks TASK-001, TASK-002\n", 0), 0u) << prompt;
  // Each task's section and what done means, in order.
  auto b = prompt.find(
      "# Task TASK-001: Add b\n\n## The task, from the prompt pack\n\n"
      "## Task 1: TASK-001 Add b\n");
  auto c = prompt.find(
      "# Task TASK-002: Add c\n\n## The task, from the prompt pack\n\n"
      "## Task 2: TASK-002 Add c\n\nWrite c() in src/c.py.\n");
  auto done = prompt.find("- file `src/c.py` must exist and define `c`\n");
  EXPECT_NE(b, std::string::npos) << prompt;
  EXPECT_LT(b, c) << prompt;
  EXPECT_LT(c, done) << prompt;
  EXPECT_NE(prompt.find("    smartspec-batch verify tasks.md --task TASK-002\n"), std::string::npos)
      << prompt;
  ASSERT_EQ(r->tasks.size(), 2u);
  // Files go to the task that names them; the rest to the first task.
  EXPECT_EQ(r->tasks[0].files_created, (std::vector<std::string>{"notes.txt", "src/pkg/b.py"}));
  EXPECT_EQ(r->tasks[1].files_created, (std::vector<std::string>{"src/c.py"}));
  EXPECT_EQ(r->tasks[0].log, log_dir_ + "/missing_code.log");
  EXPECT_EQ(r->tasks[1].log, log_dir_ + "/missing_code.log");
  EXPECT_EQ(git(repo_path_, {"diff", "--name-only", snapshot_, r->new_tree}),
            "notes.txt\nsrc/c.py\nsrc/pkg/b.py\ntasks.md");
  expect_worktree_is(r->new_tree);
}

TEST_F(AgentTest, FileReplacedByADirectoryAndBack) {
  agent(
      "rm old.txt && mkdir old.txt && echo in > old.txt/in.txt\n"
      "rm -r src && echo flat > src\n");
  auto r = run();
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok) << r->tasks[0].error;
  EXPECT_EQ(git(repo_path_, {"diff", "--name-status", "--no-renames", snapshot_, r->new_tree}),
            "D\told.txt\n"
            "A\told.txt/in.txt\n"
            "A\tsrc\n"
            "D\tsrc/app.py");
  EXPECT_EQ(r->tasks[0].files_created, (std::vector<std::string>{"old.txt/in.txt", "src"}));
  EXPECT_EQ(git(repo_path_, {"fsck", "--no-progress", "--no-dangling"}), "");
  expect_worktree_is(r->new_tree);
}

}  // namespace
}  // namespace smartspec::engine

namespace smartspec::engine {
namespace {

// Verify and retry (issue 18) at the executor: TASK-002's evidence wants
// `c` in src/c.py. The agent writes x() first and c() once told.
const char* kWrongThenRight =
    "if grep -q 'What is still missing' \"$SMARTSPEC_PROMPT_FILE\"; then\n"
    "  printf 'def c():\\n    pass\\n' > src/c.py\n"
    "else\n"
    "  printf 'def x():\\n    pass\\n' > src/c.py\n"
    "fi\n"
    "echo \"attempt $SMARTSPEC_ATTEMPT\"\n";

TEST_F(AgentTest, RetryWithWhatIsMissingUntilItVerifies) {
  agent(kWrongThenRight);
  opts_.agent_attempts = 3;
  auto r = run({&planned_[1]});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok);
  const report::TaskReport& t = r->tasks[0];
  EXPECT_EQ(t.attempts, 2);  // verified after the second: no third call
  EXPECT_EQ(t.notes,
            (std::vector<std::string>{"log of an earlier attempt: " + log_dir_ + "/TASK-002.log",
                                      "verified after attempt 2"}));
  EXPECT_EQ(t.log, log_dir_ + "/TASK-002.attempt-2.log");
  EXPECT_EQ(test::read(t.log), "attempt 2\n");
  EXPECT_FALSE(fs::exists(log_dir_ + "/TASK-002.attempt-3.prompt.md"));
  EXPECT_EQ(t.files_created, std::vector<std::string>{"src/c.py"});
  EXPECT_EQ(git(repo_path_, {"cat-file", "-p", r->new_tree + ":src/c.py"}), "def c():\n    pass");
  expect_worktree_is(r->new_tree);
}

TEST_F(AgentTest, LastAttemptUnverifiedKeepsTheChangeAndSaysWhatIsMissing) {
  agent(kWrongThenRight);
  opts_.agent_attempts = 1;
  auto r = run({&planned_[1]});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok);
  const report::TaskReport& t = r->tasks[0];
  EXPECT_EQ(t.status, report::TaskStatus::kSucceeded);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.notes, std::vector<std::string>{
                         "not verified after 1 attempt: `src/c.py` does not define `c`"});
  EXPECT_EQ(git(repo_path_, {"cat-file", "-p", r->new_tree + ":src/c.py"}), "def x():\n    pass");
}

TEST_F(AgentTest, ARetryThatFailsUndoesEveryAttempt) {
  agent(
      "if [ \"$SMARTSPEC_ATTEMPT\" = 2 ]; then echo 'quota exceeded' >&2; exit 4; fi\n"
      "printf 'def x():\\n    pass\\n' > src/c.py\n");
  auto r = run({&planned_[1]});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->tasks[0].error, "agent exited with 4");
  EXPECT_EQ(r->tasks[0].attempts, 2);
  EXPECT_EQ(r->output_tail, std::vector<std::string>{"quota exceeded"});
  expect_worktree_is(snapshot_);
}

TEST_F(AgentTest, UnitCallRetriesWithEveryUnverifiedTask) {
  // TASK-001 has no evidence (nothing to check); TASK-002 is wrong first.
  agent(kWrongThenRight);
  auto r = run({&planned_[0], &planned_[1]});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ok);
  ASSERT_EQ(r->tasks.size(), 2u);
  EXPECT_EQ(r->tasks[0].attempts, 2);
  EXPECT_EQ(r->tasks[1].attempts, 2);
  const std::string retry = test::read(log_dir_ + "/missing_code.attempt-2.prompt.md");
  EXPECT_NE(retry.find("Still missing:\n\nTASK-002:\n\n- `src/c.py` does not define `c`\n"),
            std::string::npos)
      << retry;
  EXPECT_EQ(retry.find("\nTASK-001:\n"), std::string::npos) << retry;
  EXPECT_EQ(git(repo_path_, {"cat-file", "-p", r->new_tree + ":src/c.py"}), "def c():\n    pass");
}

}  // namespace
}  // namespace smartspec::engine
