#include "smartspec/util/text.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>

#include "smartspec/util/json.hpp"
#include "smartspec/util/proc.hpp"
#include "smartspec/util/result.hpp"
#include "support/test_support.hpp"

namespace smartspec {
namespace {

// Issue 16: Error::code values were numbered per module, so git's "ref
// moved" and exec's "command not found" were both 1; one list now.
TEST(ErrorCodes, NoTwoKindsShareANumber) {
  const int all[] = {errc::kRefMoved,    errc::kNotFound,        errc::kLockHeld,
                     errc::kUnsupported, errc::kCommandNotFound, errc::kCannotStart};
  for (std::size_t i = 0; i < std::size(all); ++i) {
    EXPECT_NE(all[i], errc::kNone);
    for (std::size_t j = i + 1; j < std::size(all); ++j) EXPECT_NE(all[i], all[j]) << i << " " << j;
  }
}

// The one temporary-then-rename writer (issue 16): a symlink at the name is
// replaced, not written through; a leftover temporary (even a symlink) is
// removed first; a failed rename leaves no temporary and names its step.
TEST(TextReplaceFileAt, ReplacesNeverWritesThroughAndCleansUp) {
  test::TempDir dir;
  const auto d = dir.path();
  test::write(d / "outside.txt", "keep\n");
  std::filesystem::create_symlink(d / "outside.txt", d / "name");
  std::filesystem::create_symlink(d / "outside.txt", d / "name.tmp");
  auto r = text::replace_file_at(AT_FDCWD, (d / "name.tmp").string(), (d / "name").string(),
                                 "new\n", 0600, true);
  EXPECT_TRUE(r);
  EXPECT_EQ(test::read(d / "outside.txt"), "keep\n");
  EXPECT_FALSE(std::filesystem::is_symlink(d / "name"));
  EXPECT_EQ(test::read(d / "name"), "new\n");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(d / "name.tmp")));

  test::write(d / "full/x", "x\n");  // a non-empty directory cannot be renamed over
  auto bad =
      text::replace_file_at(AT_FDCWD, (d / "t").string(), (d / "full").string(), "y", 0644, false);
  EXPECT_EQ(bad.failed, text::ReplaceStep::kRename);
  EXPECT_NE(bad.err, 0);
  EXPECT_FALSE(std::filesystem::exists(d / "t"));
  auto nodir = text::replace_file_at(AT_FDCWD, (d / "no/t").string(), (d / "no/x").string(), "y",
                                     0644, false);
  EXPECT_EQ(nodir.failed, text::ReplaceStep::kCreate);
  EXPECT_EQ(nodir.err, ENOENT);
}

// One shell quoting and one short commit id for every module (issue 16):
// shlex.quote's rules, which tasks::shell_split reads back.
TEST(TextShellQuote, ShlexQuoteAndShortId) {
  EXPECT_EQ(text::shell_quote(""), "''");
  EXPECT_EQ(text::shell_quote("a/b-c_d.e:f@g%h+i=j,k"), "a/b-c_d.e:f@g%h+i=j,k");
  EXPECT_EQ(text::shell_quote("a b"), "'a b'");
  EXPECT_EQ(text::shell_quote("it's"), "'it'\"'\"'s'");
  EXPECT_EQ(text::shell_quote("caf\xc3\xa9"), "'caf\xc3\xa9'");  // non-ASCII is quoted
  EXPECT_EQ(text::short_id("0123456789abcdef"), "0123456");
  EXPECT_EQ(text::short_id("abc"), "abc");
  EXPECT_EQ(text::short_id(""), "");
}

// The one write loop (issue 16): all bytes through a pipe smaller than them
// (short writes while a reader drains it), and the errno of a failed write.
TEST(TextWriteAll, WritesEverythingAcrossShortWritesAndReportsTheErrno) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const std::string big(1 << 20, 'x');  // larger than a pipe's buffer
  std::string got;
  pid_t reader = ::fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    ::close(p[1]);
    char buf[4096];
    std::size_t total = 0;
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) total += static_cast<std::size_t>(n);
    ::_exit(total == (1u << 20) ? 0 : 1);
  }
  ::close(p[0]);
  EXPECT_EQ(text::write_all(p[1], big), 0);
  ::close(p[1]);
  int status = 0;
  ::waitpid(reader, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the reader got fewer bytes";

  int q[2];
  ASSERT_EQ(::pipe(q), 0);
  ::close(q[0]);
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  EXPECT_EQ(text::write_all(q[1], "abc"), EPIPE);
  ::sigaction(SIGPIPE, &old, nullptr);
  ::close(q[1]);
  EXPECT_EQ(text::write_all(-1, "abc"), EBADF);
  EXPECT_EQ(text::write_all(-1, ""), 0);  // nothing to write: no call
}

TEST(Text, SplitLinesDropsCrAndNumbers) {
  auto lines = text::split_lines("a\r\nb\n\nc");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[1].text, "b");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_EQ(lines[3].text, "c");
  EXPECT_EQ(lines[3].number, 4);
}

TEST(Text, InvalidUtf8OffsetAndLine) {
  std::string s = "ok\nfine\n\xff bad";
  EXPECT_EQ(text::invalid_utf8_offset(s), 8u);
  auto r = text::require_utf8(s, "x.md");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "x.md:3: invalid UTF-8");
  EXPECT_EQ(text::invalid_utf8_offset("h\xc3\xa9llo \xe2\x9c\x85"), std::string_view::npos);
  EXPECT_NE(text::invalid_utf8_offset("\xc0\xaf"), std::string_view::npos);      // overlong
  EXPECT_NE(text::invalid_utf8_offset("\xed\xa0\x80"), std::string_view::npos);  // surrogate
}

TEST(Text, StripBom) { EXPECT_EQ(text::strip_bom("\xEF\xBB\xBFhi"), "hi"); }

TEST(Proc, StatOfThisProcessMatchesProc) {
  auto s = proc::stat(::getpid());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->pgrp, ::getpgrp());
  EXPECT_FALSE(proc::finished(*s));
  // Field 22 as read by a plain tokenizer after the command name.
  std::ifstream in("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(all.substr(all.rfind(')') + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) fields >> field;
  EXPECT_EQ(s->start, std::stoull(field));
  EXPECT_FALSE(proc::stat(-1));
}

TEST(Text, CrlfToLfKeepsLoneCarriageReturns) {
  EXPECT_EQ(text::crlf_to_lf("a\r\nb\rc\r\r\nd\r"), "a\nb\rc\r\nd\r");
  EXPECT_EQ(text::crlf_to_lf(""), "");
  EXPECT_EQ(text::crlf_to_lf("\n\r\n"), "\n\n");
}

TEST(Text, ReadFileErrorsNameTheFile) {
  auto r = text::read_file("/nonexistent/zz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "/nonexistent/zz: no such file");
  auto d = text::read_file("/");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().to_string(), "/: is a directory, not a file");
}

TEST(Json, WritesNestedDocument) {
  JsonWriter w;
  w.begin_object().field("a", 1).key("b").begin_array().value("x\"y").value(true).end_array();
  w.key("c").begin_object().end_object().key("d").null().end_object();
  EXPECT_EQ(w.str(),
            "{\n  \"a\": 1,\n  \"b\": [\n    \"x\\\"y\",\n    true\n  ],\n  \"c\": {},\n  \"d\": "
            "null\n}\n");
}

// Issue 19, defect 9: every JSON document is valid UTF-8, whatever bytes a
// value held; valid text (and valid multi-byte characters) is unchanged.
TEST(Json, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(JsonWriter::escape("caf\xE9 \xC3\xA9"), "\"caf\xEF\xBF\xBD \xC3\xA9\"");
  EXPECT_EQ(JsonWriter::escape("\xFF\xFE"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonWriter::escape("ok \xE2\x9C\x85"), "\"ok \xE2\x9C\x85\"");
  EXPECT_EQ(text::invalid_utf8_offset(JsonWriter::escape("a\x80\xC3")), std::string_view::npos);
}

}  // namespace
}  // namespace smartspec
