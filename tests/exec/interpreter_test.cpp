// The syntax checker's python3 through a pyenv shim (issue 21): the shim's
// answer is remembered per repository and asked again whenever an input of it
// changes. A fake pyenv (same shim text, a `libexec/pyenv` that logs each call
// and follows PYENV_VERSION / .python-version / the global version file)
// shows who chose the interpreter; the interpreters are symlinks to the real
// python3, so the checks themselves are real.
#include "smartspec/exec/interpreter.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "smartspec/exec/syntax.hpp"
#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class FakePyenv : public ::testing::Test {
 protected:
  void SetUp() override {
    // The real interpreter, whatever PATH puts first on this machine.
    real_ = trimmed(test::run({"python3", "-S", "-c", "import sys; print(sys.executable)"}).out);
    ASSERT_FALSE(real_.empty());
    root_ = dir_.path() / "pyenv";
    for (const char* v : {"A", "B"}) {
      fs::create_directories(root_ / "versions" / v / "bin");
      fs::create_symlink(real_, root_ / "versions" / v / "bin" / "python3");
    }
    test::write(root_ / "version", "B\n");
    // pyenv's shim, as `pyenv rehash` writes it.
    test::write(
        root_ / "shims/python3",
        "#!/usr/bin/env bash\nset -e\n[ -n \"$PYENV_DEBUG\" ] && set -x\n\nprogram=\"${0##*/}\"\n\n"
        "export PYENV_ROOT=\"" +
            root_.string() +
            "\"\n"
            "exec \"" +
            root_.string() + "/libexec/pyenv\" exec \"$program\" \"$@\"\n");
    test::write(root_ / "libexec/pyenv",
                "#!/usr/bin/env bash\n"
                "echo \"$PWD\" >>\"$PYENV_ROOT/calls.log\"\n"
                "shift; prog=$1; shift\n"
                "v=$PYENV_VERSION\n"
                "if [ -z \"$v\" ]; then d=$PWD\n"
                "  while :; do\n"
                "    if [ -f \"$d/.python-version\" ]; then v=$(head -n 1 \"$d/.python-version\"); "
                "break; fi\n"
                "    [ -z \"$d\" ] && break; d=${d%/*}\n"
                "  done\n"
                "fi\n"
                "[ -n \"$v\" ] || v=$(head -n 1 \"$PYENV_ROOT/version\")\n"
                "exec \"$PYENV_ROOT/versions/$v/bin/$prog\" \"$@\"\n");
    fs::permissions(root_ / "shims/python3", fs::perms::owner_all);
    fs::permissions(root_ / "libexec/pyenv", fs::perms::owner_all);
    project_ = dir_.path() / "outer" / "project";
    fs::create_directories(project_);
    work_ = dir_.path() / "scratch";
    test::write(work_ / "ok.py", "x = 1\n");
    test::write(work_ / "bad.py", "def f(:\n    pass\n");
    home_ = {project_.string(), (dir_.path() / "cache" / "python3").string()};
    path_.emplace("PATH", (root_ / "shims").string() + ":" + std::getenv("PATH"));
    version_.emplace("PYENV_VERSION", std::nullopt);
    pyenv_dir_.emplace("PYENV_DIR", std::nullopt);
  }

  // One session, one check: the interpreter that ran it.
  std::string check_once() {
    SyntaxSession s(work_.string(), {}, home_);
    auto rep = s.check({"ok.py", "bad.py"});
    EXPECT_TRUE(rep.notes.empty()) << rep.notes.front();
    EXPECT_EQ(rep.checked, (std::vector<std::string>{"ok.py", "bad.py"}));
    EXPECT_EQ(rep.errors.size(), 1u);
    if (!rep.errors.empty()) {
      EXPECT_EQ(rep.errors[0].path, "bad.py");
      EXPECT_EQ(rep.errors[0].line, 1);
    }
    return s.interpreter();
  }
  // How often the shim was asked.
  int shim_calls() const {
    if (!fs::exists(root_ / "calls.log")) return 0;
    std::string log = test::read(root_ / "calls.log");
    return static_cast<int>(std::count(log.begin(), log.end(), '\n'));
  }
  std::string version(const char* v) const {
    return (root_ / "versions" / v / "bin" / "python3").string();
  }

  test::TempDir dir_;
  std::string real_;
  fs::path root_, project_, work_;
  PythonHome home_;
  std::optional<ScopedEnv> path_, version_, pyenv_dir_;
};

TEST_F(FakePyenv, TheShimIsAskedOnceInTheProjectDirectoryThenItsAnswerIsStartedDirectly) {
  test::write(project_ / ".python-version", "A\n");
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 1);
  // The shim ran in the project's directory, not in the session's root.
  EXPECT_EQ(trimmed(test::read(root_ / "calls.log")), project_.string());
  EXPECT_NE(test::read(home_.cache_file).find(version("A") + "\n"), std::string::npos);
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 1);
}

TEST_F(FakePyenv, AChangedPythonVersionFileAsksTheShimAgain) {
  test::write(dir_.path() / "outer" / ".python-version", "A\n");  // found from a parent
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 1);
  test::write(project_ / ".python-version", "B\n");  // a nearer one appears
  EXPECT_EQ(check_once(), version("B"));
  EXPECT_EQ(shim_calls(), 2);
  EXPECT_EQ(check_once(), version("B"));
  EXPECT_EQ(shim_calls(), 2);
  test::write(project_ / ".python-version", "A\n");  // its content changes
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 3);
  fs::remove(project_ / ".python-version");
  fs::remove(dir_.path() / "outer" / ".python-version");  // the global file answers: B
  EXPECT_EQ(check_once(), version("B"));
  EXPECT_EQ(shim_calls(), 4);
}

TEST_F(FakePyenv, PyenvVersionInTheEnvironmentAsksTheShimAgain) {
  test::write(project_ / ".python-version", "A\n");
  EXPECT_EQ(check_once(), version("A"));
  {
    ScopedEnv v("PYENV_VERSION", "B");
    EXPECT_EQ(check_once(), version("B"));
    EXPECT_EQ(shim_calls(), 2);
    EXPECT_EQ(check_once(), version("B"));
    EXPECT_EQ(shim_calls(), 2);
  }
  // The first environment's answer was kept beside the second's.
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 2);
}

// Runs alternate between environments (a git hook's PATH starts with git's
// exec-path, a terminal's does not): each keeps its answer, up to eight.
TEST_F(FakePyenv, AlternatingEnvironmentsEachKeepTheirAnswer) {
  test::write(project_ / ".python-version", "A\n");
  const std::string path = std::getenv("PATH");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 8; ++i) {
      ScopedEnv p("PATH", "/nonexistent/hook-" + std::to_string(i) + ":" + path);
      EXPECT_EQ(check_once(), version("A"));
    }
  }
  EXPECT_EQ(shim_calls(), 8);
  // A ninth environment pushes out the one learnt longest ago.
  {
    ScopedEnv p("PATH", "/nonexistent/hook-8:" + path);
    EXPECT_EQ(check_once(), version("A"));
  }
  EXPECT_EQ(shim_calls(), 9);
  {
    ScopedEnv p("PATH", "/nonexistent/hook-0:" + path);
    EXPECT_EQ(check_once(), version("A"));
  }
  EXPECT_EQ(shim_calls(), 10);
  {
    ScopedEnv p("PATH", "/nonexistent/hook-7:" + path);
    EXPECT_EQ(check_once(), version("A"));
  }
  EXPECT_EQ(shim_calls(), 10);
}

TEST_F(FakePyenv, AStaleAnswerFallsBackToTheShimAndIsReplaced) {
  test::write(project_ / ".python-version", "A\n");
  EXPECT_EQ(check_once(), version("A"));
  // The remembered interpreter is gone (its key still holds): the shim answers.
  std::string cache = test::read(home_.cache_file);
  std::string gone = (dir_.path() / "gone" / "python3").string();
  cache.replace(cache.find(version("A")), version("A").size(), gone);
  test::write(home_.cache_file, cache);
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 2);
  EXPECT_EQ(test::read(home_.cache_file).find(gone), std::string::npos);
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 2);
  // A cache that is not ours is ignored, never trusted.
  test::write(home_.cache_file, "garbage\n" + version("B") + "\n");
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 3);
}

TEST_F(FakePyenv, AnInstalledVersionAsksTheShimAgain) {
  test::write(project_ / ".python-version", "A\n");
  EXPECT_EQ(check_once(), version("A"));
  const std::string before =
      python3_key(project_.string(), {"PATH=" + std::string(std::getenv("PATH"))});
  ASSERT_FALSE(before.empty());
  usleep(20000);  // a coarse file-system clock must see a new mtime
  fs::create_directories(root_ / "versions" / "C" / "bin");
  EXPECT_NE(python3_key(project_.string(), {"PATH=" + std::string(std::getenv("PATH"))}), before);
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 2);
}

TEST_F(FakePyenv, APython3ThatIsNoShimIsNeitherRememberedNorAskedAbout) {
  const fs::path bin = dir_.path() / "plain";
  fs::create_directories(bin);
  fs::create_symlink(real_, bin / "python3");
  ScopedEnv path("PATH", bin.string() + ":" + std::getenv("PATH"));
  EXPECT_EQ(python3_key(project_.string(), {"PATH=" + std::string(std::getenv("PATH"))}), "");
  EXPECT_EQ(check_once(), (bin / "python3").string());
  EXPECT_FALSE(fs::exists(home_.cache_file));
  EXPECT_EQ(shim_calls(), 0);
}

TEST_F(FakePyenv, WithoutACacheFileTheShimAnswersEveryTime) {
  test::write(project_ / ".python-version", "A\n");
  home_.cache_file.clear();
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(check_once(), version("A"));
  EXPECT_EQ(shim_calls(), 2);
}

}  // namespace
}  // namespace smartspec::exec
