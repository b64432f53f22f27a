#include "smartspec/exec/evidence_hooks.hpp"

#include <gtest/gtest.h>

#include "smartspec/tasks/tasks.hpp"

namespace smartspec::exec {
namespace {

TEST(EvidenceHooks, InsertsCanonicalLinesUnderATaskWithoutEvidence) {
  const std::string before =
      "# Tasks\n"
      "- [ ] T-1 First\n"
      "  evidence: code path=src/a.py symbol=A\n"
      "- [ ] T-2 Second  \n"
      "  Some description, caf\xc3\xa9.\n"
      "\n"
      "- [ ] T-3 Third\n";
  auto r = ensure_evidence(before, "T-2", canonical_evidence("src/b.py", "B", "tests/test_b.py"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r,
            "# Tasks\n"
            "- [ ] T-1 First\n"
            "  evidence: code path=src/a.py symbol=A\n"
            "- [ ] T-2 Second  \n"
            "  Some description, caf\xc3\xa9.\n"
            "  evidence: code path=src/b.py symbol=B\n"
            "  evidence: test path=tests/test_b.py\n"
            "\n"
            "- [ ] T-3 Third\n");
  // Idempotent.
  auto again = ensure_evidence(*r, "T-2", canonical_evidence("src/b.py", "B", "tests/test_b.py"));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *r);
}

TEST(EvidenceHooks, NeverRewritesExistingHooks) {
  const std::string text = "- [ ] T-1 One\n  - evidence: code path=old.py\n";
  auto r = ensure_evidence(text, "T-1", canonical_evidence("new.py", std::nullopt, ""));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, text);
  // A rejected evidence line still counts as a hook: not rewritten either.
  const std::string rejected = "- [ ] T-1 One\n  evidence: bogus\n";
  auto r2 = ensure_evidence(rejected, "T-1", canonical_evidence("new.py", std::nullopt, ""));
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, rejected);
}

TEST(EvidenceHooks, FollowsTheFilesBulletStyleAndNesting) {
  const std::string text =
      "- [ ] A-1 Top\n"
      "    - evidence: code path=a.py\n"
      "  - [ ] A-2 Nested\n";
  auto r = ensure_evidence(text, "A-2", canonical_evidence("b.py", std::nullopt, ""));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r,
            "- [ ] A-1 Top\n"
            "    - evidence: code path=a.py\n"
            "  - [ ] A-2 Nested\n"
            "      - evidence: code path=b.py\n");
}

TEST(EvidenceHooks, KeepsCrlfAndMissingFinalNewline) {
  const std::string text = "\xef\xbb\xbf- [ ] C-1 Crlf \r\n- [ ] C-2 Last";
  auto r = ensure_evidence(text, "C-1", canonical_evidence("x.py", "X", ""));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r,
            "\xef\xbb\xbf- [ ] C-1 Crlf \r\n  evidence: code path=x.py symbol=X\r\n- [ ] C-2 Last");
  auto last = ensure_evidence(*r, "C-2", canonical_evidence("y.py", std::nullopt, "t.py"));
  ASSERT_TRUE(last);
  EXPECT_EQ(
      *last,
      "\xef\xbb\xbf- [ ] C-1 Crlf \r\n  evidence: code path=x.py symbol=X\r\n- [ ] C-2 Last\r\n"
      "  evidence: code path=y.py\r\n  evidence: test path=t.py");
}

TEST(EvidenceHooks, QuotedValuesRoundTripThroughTheParser) {
  const std::string text = "- [ ] Q-1 Quotes\n";
  const std::string code = "src/my module/it's.py";
  const std::string symbol = "Foo Bar";
  const std::string test = "tests/t\xc3\xa9st.py";
  auto r = ensure_evidence(text, "Q-1", canonical_evidence(code, symbol, test));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r,
            "- [ ] Q-1 Quotes\n"
            "  evidence: code path='src/my module/it'\"'\"'s.py' symbol='Foo Bar'\n"
            "  evidence: test path='tests/t\xc3\xa9st.py'\n");
  auto doc = tasks::parse(*r, "tasks.md");
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->tasks.size(), 1u);
  ASSERT_EQ(doc->tasks[0].evidence.size(), 2u)
      << (doc->warnings.empty() ? "" : doc->warnings[0].message);
  EXPECT_EQ(doc->tasks[0].evidence[0].type, "code");
  EXPECT_EQ(doc->tasks[0].evidence[0].get("path"), code);
  EXPECT_EQ(doc->tasks[0].evidence[0].get("symbol"), symbol);
  EXPECT_EQ(doc->tasks[0].evidence[1].type, "test");
  EXPECT_EQ(doc->tasks[0].evidence[1].get("path"), test);
}

TEST(EvidenceHooks, MarkDoneTicksOnlyThatTask) {
  const std::string text = "- [ ] M-1 One \r\n- [ ] M-10 Ten\r\n- [x] M-2 Two";
  auto r = mark_done(text, "M-10");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "- [ ] M-1 One \r\n- [x] M-10 Ten\r\n- [x] M-2 Two");
  auto same = mark_done(*r, "M-2");
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, *r);
  auto missing = mark_done(text, "M-3");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().to_string(), "tasks.md: task M-3 not found");
}

}  // namespace
}  // namespace smartspec::exec
