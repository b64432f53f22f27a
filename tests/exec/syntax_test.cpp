#include "smartspec/exec/syntax.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

TEST(Syntax, PythonErrorsWithLinesInOneBatch) {
  test::TempDir dir;
  test::write(dir.path() / "ok.py", "import os\n\n\ndef f():\n    return os.sep\n");
  test::write(dir.path() / "pkg/bad.py", "x = 1\n\ndef broken(:\n    pass\n");
  auto rep = check_syntax(dir.str(), {"ok.py", "pkg/bad.py"});
  ASSERT_EQ(rep.errors.size(), 1u);
  EXPECT_EQ(rep.errors[0].path, "pkg/bad.py");
  EXPECT_EQ(rep.errors[0].line, 3);
  EXPECT_EQ(rep.errors[0].message, "invalid syntax");
  EXPECT_EQ(describe(rep.errors[0]),
            "Syntax error in generated code: pkg/bad.py:3: invalid syntax");
  EXPECT_EQ(rep.checked, (std::vector<std::string>{"ok.py", "pkg/bad.py"}));
  EXPECT_TRUE(rep.notes.empty());
}

TEST(Syntax, JsonErrorLineFromSimdjson) {
  test::TempDir dir;
  test::write(dir.path() / "good.json", "{\"a\": [1, 2, {\"b\": null}]}\n");
  test::write(dir.path() / "bad.json", "{\n  \"a\": 1,\n  \"b\": tru,\n  \"c\": 2\n}\n");
  test::write(dir.path() / "trailing.json", "{\"a\": 1}\n\n]\n");
  auto rep = check_syntax(dir.str(), {"good.json", "bad.json", "trailing.json"});
  ASSERT_EQ(rep.errors.size(), 2u);
  EXPECT_EQ(rep.errors[0].path, "bad.json");
  EXPECT_EQ(rep.errors[0].line, 3);
  EXPECT_FALSE(rep.errors[0].message.empty());
  EXPECT_EQ(rep.errors[1].path, "trailing.json");
  EXPECT_EQ(rep.errors[1].line, 3);
}

TEST(Syntax, ShellAndJavaScript) {
  test::TempDir dir;
  test::write(dir.path() / "ok.sh", "if true; then echo ok; fi\n");
  test::write(dir.path() / "bad.sh", "echo start\nif true; then\n  echo x\n");
  test::write(dir.path() / "bad.js", "const a = 1;\nfunction (\n");
  auto rep = check_syntax(dir.str(), {"ok.sh", "bad.sh", "bad.js"});
  ASSERT_EQ(rep.errors.size(), 2u);
  EXPECT_EQ(rep.errors[0].path, "bad.sh");
  EXPECT_EQ(rep.errors[0].line, 4);
  EXPECT_EQ(rep.errors[0].message, "syntax error: unexpected end of file");
  EXPECT_EQ(rep.errors[1].path, "bad.js");
  if (rep.notes.empty()) {  // node installed
    EXPECT_EQ(rep.errors[1].line, 2);
    EXPECT_EQ(rep.errors[1].message.rfind("SyntaxError: ", 0), 0u) << rep.errors[1].message;
  }
}

TEST(Syntax, MissingCheckerIsSkippedWithANote) {
  test::TempDir dir;
  test::write(dir.path() / "a.rb", "def x(\n");
  test::write(dir.path() / "b.txt", "anything\n");
  auto rep = check_syntax(dir.str(), {"a.rb", "b.txt"}, {{"rb", "no-such-ruby-checker -c"}});
  EXPECT_TRUE(rep.errors.empty());
  EXPECT_EQ(
      rep.notes,
      (std::vector<std::string>{"no-such-ruby-checker not found: syntax check of a.rb skipped"}));
  EXPECT_TRUE(rep.checked.empty());
}

TEST(Syntax, ExtraCheckCommandGetsThePathAppended) {
  test::TempDir dir;
  test::write(dir.path() / "a.cfg", "good\n");
  test::write(dir.path() / "b.cfg", "bad\n");
  std::string checker =
      "sh -c 'if grep -q bad \"$1\"; then echo \"$1:1: contains bad\"; exit 1; fi' checker";
  auto rep = check_syntax(dir.str(), {"a.cfg", "b.cfg"}, {{"cfg", checker}});
  ASSERT_EQ(rep.errors.size(), 1u);
  // The checker gets the path "./"-prefixed (never an option).
  EXPECT_EQ(rep.errors[0], (SyntaxError{"b.cfg", 1, "./b.cfg:1: contains bad"}));
  std::string ext, cmd;
  ASSERT_TRUE(parse_extra_check(".RB=ruby -c", &ext, &cmd));
  EXPECT_EQ(ext, "rb");
  EXPECT_EQ(cmd, "ruby -c");
  EXPECT_FALSE(parse_extra_check("rb", &ext, &cmd));
}

}  // namespace
}  // namespace smartspec::exec

namespace smartspec::exec {
namespace {

TEST(SyntaxSessionTest, OneServerAnswersManyCallsWithLines) {
  test::TempDir dir;
  test::write(dir.path() / "ok.py", "x = 1\n");
  test::write(dir.path() / "bad.py", "def f(:\n    pass\n");
  test::write(dir.path() / "late.py", "a = 1\nb = 2\nif a\n");
  SyntaxSession session(dir.str(), {});
  auto first = session.check({"ok.py"});
  EXPECT_TRUE(first.errors.empty());
  EXPECT_EQ(first.checked, (std::vector<std::string>{"ok.py"}));
  auto second = session.check({"bad.py", "ok.py", "late.py"});
  ASSERT_EQ(second.errors.size(), 2u);
  EXPECT_EQ(second.errors[0].path, "bad.py");
  EXPECT_EQ(second.errors[0].line, 1);
  EXPECT_EQ(second.errors[1].path, "late.py");
  EXPECT_EQ(second.errors[1].line, 3);
  // The same answers as the one-shot checker.
  auto oneshot = check_syntax(dir.str(), {"bad.py", "ok.py", "late.py"});
  EXPECT_EQ(oneshot.errors, second.errors);
}

namespace fs = std::filesystem;

TEST(SyntaxSessionTest, WarmUpStartsTheCheckerOnlyWhenAPythonFileWillBeChecked) {
  test::TempDir dir;
  test::write(dir.path() / "ok.py", "x = 1\n");
  test::write(dir.path() / "a.json", "{}\n");
  // A python3 that records each start, then is the real one.
  const std::string real = test::run({"sh", "-c", "command -v python3"}).out;
  ASSERT_FALSE(real.empty());
  const fs::path bin = dir.path() / "bin";
  const fs::path starts = dir.path() / "starts.txt";
  test::write(bin / "python3", "#!/bin/sh\necho started >>'" + starts.string() + "'\nexec '" +
                                   real.substr(0, real.find_last_not_of(" \n") + 1) + "' \"$@\"\n");
  fs::permissions(bin / "python3", fs::perms::owner_all);
  std::string old_path = getenv("PATH");
  setenv("PATH", (bin.string() + ":" + old_path).c_str(), 1);
  // `echo >>` creates the file before it writes the line: wait for the line,
  // not for the file (under load the test read an empty file).
  auto started = [&] {
    auto line = [&] { return fs::exists(starts) ? test::read(starts) : std::string(); };
    for (int i = 0; i < 500 && line().find('\n') == std::string::npos; ++i) usleep(10000);
    return line();
  };
  {
    SyntaxSession none(dir.str(), {});
    none.warm_up({"a.json", "README.md"});
    EXPECT_TRUE(none.check({"a.json"}).errors.empty());
    SyntaxSession replaced(dir.str(), {{"py", "true"}});  // --check py=true: not python3
    replaced.warm_up({"ok.py"});
  }
  EXPECT_FALSE(fs::exists(starts));
  {
    SyntaxSession session(dir.str(), {});
    session.warm_up({"a.json", "ok.py"});
    EXPECT_EQ(started(), "started\n");  // before any check
    auto rep = session.check({"ok.py"});
    EXPECT_TRUE(rep.errors.empty());
    EXPECT_EQ(rep.checked, (std::vector<std::string>{"ok.py"}));
    session.warm_up({"ok.py"});  // already running: no second start
    EXPECT_TRUE(session.check({"ok.py"}).errors.empty());
  }
  setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(test::read(starts), "started\n");
}

TEST(SyntaxSessionTest, WithoutPython3FallsBackToTheOneShotNote) {
  test::TempDir dir;
  test::write(dir.path() / "a.py", "x = (\n");
  std::string old_path = getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  SyntaxSession session(dir.str(), {});
  auto rep = session.check({"a.py"});
  setenv("PATH", old_path.c_str(), 1);
  EXPECT_TRUE(rep.errors.empty());
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_EQ(rep.notes[0], "python3 not found: syntax check of a.py skipped");
}

// Issue 15 item 1: a checker gets every path "./"-prefixed, so a file whose
// name looks like an option is checked as a file, never obeyed. (The planner
// refuses such names too; this is the checker's own line of defence.)
TEST(Syntax, APathThatLooksLikeAnOptionIsNeverOneForNode) {
  test::TempDir dir;
  const std::string mark = (dir.path() / "pwned").string();
  test::write(dir.path() / "work/evil.js", "require('fs').writeFileSync('" + mark + "', 'x');\n");
  test::write(dir.path() / "work/--require=./evil.js", "var a = 1;\n");
  auto rep = check_syntax((dir.path() / "work").string(), {"--require=./evil.js"});
  EXPECT_FALSE(std::filesystem::exists(mark)) << "node ran evil.js";
  EXPECT_TRUE(rep.errors.empty()) << describe(rep.errors.front());
  EXPECT_EQ(rep.checked, (std::vector<std::string>{"--require=./evil.js"}));
}

TEST(Syntax, APathThatLooksLikeAnOptionIsNeverOneForAnExtraChecker) {
  test::TempDir dir;
  const std::string mark = (dir.path() / "pwned").string();
  const std::string name = "-eBEGIN{open(F,\">\".$ENV{SMARTSPEC_TEST_MARK})}#.pl";
  test::write(dir.path() / "work" / name, "print 1;\n");
  ::setenv("SMARTSPEC_TEST_MARK", mark.c_str(), 1);
  auto rep = check_syntax((dir.path() / "work").string(), {name}, {{"pl", "perl -c"}});
  ::unsetenv("SMARTSPEC_TEST_MARK");
  EXPECT_FALSE(std::filesystem::exists(mark)) << "perl ran the path as -e code";
  EXPECT_TRUE(rep.errors.empty()) << describe(rep.errors.front());
  EXPECT_EQ(rep.checked, (std::vector<std::string>{name}));
}

TEST(Syntax, ErrorsOfPrefixedPathsStillNameTheLine) {
  test::TempDir dir;
  test::write(dir.path() / "a.sh", "if true; then\n  echo x\nfi fi\n(\n");
  test::write(dir.path() / "b.js", "var x = 1;\nfunction (\n");
  test::write(dir.path() / "c.py", "x = (\n");
  auto rep = check_syntax(dir.str(), {"a.sh", "b.js", "c.py"});
  ASSERT_EQ(rep.errors.size(), 3u);
  EXPECT_EQ(rep.errors[0].path, "a.sh");
  EXPECT_GT(rep.errors[0].line, 0);
  EXPECT_EQ(rep.errors[1].path, "b.js");
  EXPECT_EQ(rep.errors[1].line, 2);
  EXPECT_EQ(rep.errors[2].path, "c.py");
  EXPECT_EQ(rep.errors[2].line, 1);
}

}  // namespace
}  // namespace smartspec::exec
