// One test per verifier rule, on small directories the tests build. Each
// states the expected verified flag, category and priority.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "smartspec/tasks/tasks.hpp"
#include "smartspec/verify/verify.hpp"
#include "support/test_support.hpp"

namespace smartspec {
namespace {

struct Outcome {
  bool verified;
  std::string category;
  int priority;
  bool operator==(const Outcome&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{" << o.verified << ", " << o.category << ", " << o.priority << "}";
}

class Rules : public ::testing::Test {
 protected:
  void files(const std::map<std::string, std::string>& fs) {
    for (const auto& [p, c] : fs) test::write(dir_.path() / p, c);
  }
  verify::Summary run(const std::string& tasks_md) {
    auto doc = tasks::parse(tasks_md, "tasks.md");
    EXPECT_TRUE(doc.has_value());
    verify::DirSource src(dir_.str());
    return verify::verify(*doc, src);
  }
  // Verifies a single task made of the given evidence lines.
  Outcome one(const std::string& evidence, bool checked = false) {
    std::string md = std::string("- [") + (checked ? "x" : " ") + "] T1 Title\n";
    std::istringstream in(evidence);
    for (std::string line; std::getline(in, line);) md += "  evidence: " + line + "\n";
    last_ = run(md);
    const auto& t = last_.tasks.at(0);
    return {t.verified, t.category, t.priority};
  }
  const verify::TaskResult& task() const { return last_.tasks.at(0); }
  test::TempDir dir_;
  verify::Summary last_;
};

TEST_F(Rules, CodeFileSymbolContainsRegex) {
  files({{"src/a.py", "class Foo:\n    def bar(self):\n        return 42\n"},
         {"tests/test_a.py", "def test_foo(): pass\n"}});
  EXPECT_EQ(one("code path=src/a.py symbol=Foo contains=\"def bar\" regex=\"^\\s+return \\d+$\"\n"
                "test path=tests/test_a.py"),
            (Outcome{true, "verified", 0}));
  EXPECT_EQ(task().checks.at(0).reason, "matched");
  EXPECT_EQ(one("code path=src/a.py symbol=Baz\ntest path=tests/test_a.py"),
            (Outcome{false, "symbol_issue", 3}));
  EXPECT_EQ(task().checks.at(0).reason, "symbol not found");
  EXPECT_EQ(
      task().suggestions,
      (std::vector<std::string>{"⚠️ File exists but symbol not found",
                                "→ Symbol 'Baz' not found in src/a.py", "   File exists (48 bytes)",
                                "→ Check if symbol is exported or has a different name"}));
  EXPECT_EQ(one("code path=src/a.py contains=\"def baz\"\ntest path=tests/test_a.py"),
            (Outcome{false, "content_issue", 3}));
  EXPECT_EQ(one("code path=src/a.py regex=\"^return\"\ntest path=tests/test_a.py", true),
            (Outcome{false, "content_issue", 1}));
  EXPECT_EQ(task().checks.at(0).reason, "regex not matched");
  EXPECT_EQ(task().suggestions.at(1), "→ Regex pattern '^return' not matched in src/a.py");
  // An invalid pattern does not match (the Python tool's re.error → False).
  EXPECT_EQ(one("code path=src/a.py regex=\"(unclosed\"\ntest path=tests/test_a.py"),
            (Outcome{false, "content_issue", 3}));
}

TEST_F(Rules, CodeDirectoryChecks) {
  files({{"pkg/sub/mod.py", "VALUE = 1\n"}, {"pkg/node_modules/x.js", "needle\n"}});
  EXPECT_EQ(one("code path=pkg/"), (Outcome{true, "verified", 0}));
  EXPECT_EQ(task().checks.at(0).reason, "directory exists");
  EXPECT_EQ(one("code path=pkg contains=VALUE"), (Outcome{true, "verified", 0}));
  EXPECT_EQ(task().checks.at(0).reason, "found contains in pkg/sub/mod.py");
  EXPECT_EQ(one("code path=pkg regex=\"^VAL\""), (Outcome{true, "verified", 0}));
  EXPECT_EQ(task().checks.at(0).reason, "found regex in pkg/sub/mod.py");
  // Files under denied directories are not scanned.
  EXPECT_EQ(one("code path=pkg/ contains=needle"), (Outcome{false, "missing_tests", 2}));
  EXPECT_EQ(task().checks.at(0).reason, "no match found in directory scan");
  EXPECT_EQ(one("code path=pkg/sub/mod.py symbol=Directory"), (Outcome{false, "missing_tests", 2}));
  EXPECT_EQ(task().checks.at(0).reason, "directory not found");
  EXPECT_EQ(one("code path=nothere/"), (Outcome{false, "not_implemented", 2}));
}

TEST_F(Rules, DirectoryScanStopsAfterTheFileLimit) {
  std::map<std::string, std::string> many;
  for (int i = 0; i < 30; ++i) many["big/f" + std::to_string(100 + i) + ".txt"] = "x\n";
  many["big/zz_last.txt"] = "needle\n";
  files(many);
  auto doc = tasks::parse("- [ ] T1 t\n  evidence: code path=big contains=needle\n", "t.md");
  verify::DirSource src(dir_.str());
  verify::Options small;
  small.max_scan_files = 30;
  EXPECT_FALSE(verify::verify(*doc, src, small).tasks[0].verified);
  small.max_scan_files = 31;
  EXPECT_TRUE(verify::verify(*doc, src, small).tasks[0].verified);
}

TEST_F(Rules, TestEvidence) {
  files({{"src/a.py", "x\n"}, {"tests/test_a.py", "def test_a(): pass\n"}, {"tests/b/c.py", ""}});
  EXPECT_EQ(one("code path=src/a.py\ntest path=tests/test_a.py contains=test_a"),
            (Outcome{true, "verified", 0}));
  EXPECT_EQ(one("code path=src/a.py\ntest path=tests/b"), (Outcome{true, "verified", 0}));
  EXPECT_EQ(one("code path=src/a.py\ntest path=tests/test_a.py regex=\"^def test_b\""),
            (Outcome{false, "content_issue", 3}));
  EXPECT_EQ(one("code path=src/a.py\ntest path=spec/nope.py"),
            (Outcome{false, "missing_tests", 2}));
  EXPECT_EQ(task().checks.at(1).reason, "anchor not found: spec/nope.py");
  EXPECT_EQ(task().suggestions,
            (std::vector<std::string>{"✓ Implementation exists but test files are missing",
                                      "→ Create test file: spec/nope.py"}));
  EXPECT_EQ(one("code path=src/qqqqqqqqqq.py\ntest path=tests/test_a.py"),
            (Outcome{false, "missing_code", 2}));
}

TEST_F(Rules, DocsEvidence) {
  files({{"docs/guide.md", "Intro\n\n## Installation  \ntext\n#NoSpace\n"}});
  EXPECT_EQ(one("docs path=docs/guide.md heading=Installation"), (Outcome{true, "verified", 0}));
  EXPECT_EQ(one("docs path=docs/guide.md heading=Install"), (Outcome{false, "not_implemented", 2}));
  EXPECT_EQ(task().checks.at(0).reason, "heading not found");
  EXPECT_EQ(one("docs path=docs/guide.md heading=NoSpace"), (Outcome{false, "not_implemented", 2}));
  EXPECT_EQ(one("docs path=docs/guide.md contains=text regex=\"^Intro$\""),
            (Outcome{true, "verified", 0}));
  EXPECT_EQ(one("docs path=docs/other.md", true), (Outcome{false, "not_implemented", 1}));
  EXPECT_EQ(task().checks.at(0).reason, "file not found: docs/other.md");
  EXPECT_EQ(task().suggestions,
            (std::vector<std::string>{
                "⚠️ Task is marked [x] but no implementation or test files exist",
                "→ Update checkbox to [ ] until implementation is complete"}));
}

TEST_F(Rules, UiEvidence) {
  files({{"web/index.html", "<div id=\"app\" class=\"main\"></div>\n"}});
  EXPECT_EQ(one("ui path=web/index.html selector=\"id=\\\"app\\\"\""),
            (Outcome{true, "verified", 0}));
  EXPECT_EQ(one("ui path=web/index.html selector=#root"), (Outcome{false, "not_implemented", 2}));
  EXPECT_EQ(task().checks.at(0).reason, "selector not found");
}

TEST_F(Rules, DeniedPathsNeverExist) {
  files({{".env.local", "SECRET=1\n"},
         {"node_modules/lib/index.js", "x\n"},
         {".venv/lib/site.py", "x\n"},
         {"keys/id_rsa.pub", "k\n"},
         {"pkg/__pycache__/a.pyc", "x\n"}});
  for (std::string path : {".env.local", "node_modules/lib/index.js", ".venv/lib/site.py",
                           "keys/id_rsa.pub", "pkg/__pycache__/a.pyc"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(one("code path=" + path), (Outcome{false, "not_implemented", 2}));
    EXPECT_FALSE(task().checks.at(0).exists);
  }
  // As for the Python tool: a denied directory itself passes a bare
  // directory check, but none of its files is ever read by a scan.
  EXPECT_EQ(one("code path=node_modules/"), (Outcome{true, "verified", 0}));
  EXPECT_EQ(task().checks.at(0).reason, "directory exists");
  EXPECT_FALSE(task().checks.at(0).exists);
  EXPECT_EQ(one("code path=node_modules/ contains=x"), (Outcome{false, "not_implemented", 2}));
  EXPECT_EQ(task().checks.at(0).reason, "no match found in directory scan");
  EXPECT_TRUE(verify::is_denied(".git/config"));
  EXPECT_TRUE(verify::is_denied("a/.smartspec/x"));
  EXPECT_TRUE(verify::is_denied("a/id_ed25519"));
  EXPECT_FALSE(verify::is_denied("src/environment.py"));
}

TEST_F(Rules, TaskWithoutEvidenceOrOnlyRejectedEvidence) {
  files({{"a.py", "x\n"}});
  verify::Summary s = run("- [ ] T1 none\n- [x] T2 rejected\n  evidence: code a.py\n");
  EXPECT_EQ((Outcome{s.tasks[0].verified, s.tasks[0].category, s.tasks[0].priority}),
            (Outcome{false, "not_implemented", 2}));
  EXPECT_EQ((Outcome{s.tasks[1].verified, s.tasks[1].category, s.tasks[1].priority}),
            (Outcome{false, "not_implemented", 1}));
}

TEST_F(Rules, SimilarFilesDecideNamingIssues) {
  files({{"src/user_service.py", "class UserService: pass\n"},
         {"src/helpers/user_services_util.py", ""},
         {"tests/test_user_service.py", "def test_user(): pass\n"}});
  // Neither exists, a similar code file does → naming_issue.
  EXPECT_EQ(one("code path=src/user_services.py\ntest path=tests/test_users.py"),
            (Outcome{false, "naming_issue", 4}));
  const auto& code = task().checks.at(0);
  ASSERT_EQ(code.similar.size(), 2u);
  EXPECT_EQ(code.similar[0].path, "src/user_service.py");
  EXPECT_DOUBLE_EQ(code.similar[0].ratio,
                   verify::similarity("user_services.py", "user_service.py"));
  EXPECT_EQ(code.similar[1].path, "src/helpers/user_services_util.py");
  EXPECT_EQ(task().suggestions.at(1), "→ Found similar file: user_service.py");
  EXPECT_EQ(task().suggestions.at(2), "→ Update evidence path to: src/user_service.py");
  EXPECT_EQ(task().suggestions.at(3), "   OR rename file to match evidence: src/user_services.py");
  // The directory is missing: its parent is searched.
  EXPECT_EQ(one("code path=src/user_service.py\ntest path=tests/unit/test_user_servic.py"),
            (Outcome{false, "naming_issue", 4}));
  EXPECT_EQ(task().checks.at(1).similar.at(0).path, "tests/test_user_service.py");
  // Both exist, nothing else wrong but a similar file: naming_issue; without: not_implemented.
  EXPECT_EQ(one("code path=src/user_service.py\ntest path=tests/test_user_service.py\n"
                "code path=src/user_servce.py"),
            (Outcome{false, "naming_issue", 4}));
  EXPECT_EQ(one("code path=src/user_service.py\ntest path=tests/test_user_service.py\n"
                "code path=src/zzzzzz.py"),
            (Outcome{false, "not_implemented", 2}));
  // Missing code with no similar name, existing test → missing_code.
  EXPECT_EQ(one("code path=lib/qqq.py\ntest path=tests/test_user_service.py"),
            (Outcome{false, "missing_code", 2}));
}

TEST(Similarity, MatchesDifflib) {
  // Values computed with Python's difflib.SequenceMatcher(None, a, b).ratio().
  EXPECT_DOUBLE_EQ(verify::similarity("pricing_rules.py", "pricing.py"), 0.7692307692307693);
  EXPECT_DOUBLE_EQ(verify::similarity("test_suppliers.py", "test_reports.py"), 0.6875);
  EXPECT_DOUBLE_EQ(verify::similarity("test_suppliers.py", "test_models.py"), 0.6451612903225806);
  EXPECT_DOUBLE_EQ(verify::similarity("suppliers.py", "audit.py"), 0.5);
  EXPECT_DOUBLE_EQ(verify::similarity("", ""), 1.0);
  EXPECT_DOUBLE_EQ(verify::similarity("abc", ""), 0.0);
  // Code points, not bytes: "é" is one element.
  EXPECT_DOUBLE_EQ(verify::similarity("café.py", "cafe.py"), 2.0 * 6 / 14);
  // Autojunk (b of 200+ elements): 'a' is popular in b and cannot start a
  // match; Python finds the blocks (0,100,1) and (6,101,1): 2*2/209.
  std::string a = "x" + std::string(5, 'a') + "y";
  std::string b = std::string(100, 'a') + "xy" + std::string(100, 'a');
  EXPECT_DOUBLE_EQ(verify::similarity(a, b), 0.019138755980861243);
}

TEST(Priority, Rule) {
  EXPECT_EQ(verify::priority_of(true, "naming_issue"), 1);
  EXPECT_EQ(verify::priority_of(false, "not_implemented"), 2);
  EXPECT_EQ(verify::priority_of(false, "missing_tests"), 2);
  EXPECT_EQ(verify::priority_of(false, "missing_code"), 2);
  EXPECT_EQ(verify::priority_of(false, "symbol_issue"), 3);
  EXPECT_EQ(verify::priority_of(false, "content_issue"), 3);
  EXPECT_EQ(verify::priority_of(false, "naming_issue"), 4);
  EXPECT_EQ(verify::priority_of(true, "verified"), 0);
}

TEST(DirSourceTest, SymlinksStayInsideTheRoot) {
  test::TempDir outside;
  test::write(outside.path() / "secret.py", "SECRET\n");
  test::TempDir dir;
  test::write(dir.path() / "real/a.py", "A\n");
  std::filesystem::create_symlink(outside.path() / "secret.py", dir.path() / "leak.py");
  std::filesystem::create_symlink(outside.path(), dir.path() / "leakdir");
  std::filesystem::create_symlink("real/a.py", dir.path() / "alias.py");
  std::filesystem::create_symlink("real", dir.path() / "aliasdir");
  verify::DirSource src(dir.str());
  using K = verify::FileSource::Kind;
  EXPECT_EQ(src.kind("leak.py"), K::kMissing);
  EXPECT_EQ(src.kind("leakdir/secret.py"), K::kMissing);
  EXPECT_EQ(src.read("leak.py", 100), std::nullopt);
  EXPECT_EQ(src.kind("alias.py"), K::kFile);
  EXPECT_EQ(src.read("alias.py", 100), std::optional<std::string>("A\n"));
  EXPECT_EQ(src.read("real/a.py", 1), std::optional<std::string>("A"));
  EXPECT_EQ(src.size("real/a.py"), std::optional<std::uint64_t>(2));
  EXPECT_EQ(src.kind(""), K::kDir);
  std::vector<std::string> names;
  for (const auto& e : src.list("")) names.push_back(e.name + (e.dir ? "/" : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"alias.py", "real/"}));
}

}  // namespace
}  // namespace smartspec

namespace smartspec {
namespace {

// Counts the directory listings a verification asks for.
class CountingSource : public verify::FileSource {
 public:
  explicit CountingSource(const std::string& root) : inner_(root) {}
  Kind kind(const std::string& rel) override { return inner_.kind(rel); }
  std::optional<std::string> read(const std::string& rel, std::size_t max_bytes) override {
    return inner_.read(rel, max_bytes);
  }
  std::vector<Entry> list(const std::string& rel) override {
    ++lists;
    return inner_.list(rel);
  }
  std::string resolve(const std::string& rel, bool absolute) override {
    return inner_.resolve(rel, absolute);
  }
  std::optional<std::uint64_t> size(const std::string& rel) override { return inner_.size(rel); }
  int lists = 0;

 private:
  verify::DirSource inner_;
};

// The run's own verifications (before the first unit, after each) read only
// verdicts: without the similar-file search a missing path costs one lookup,
// not a walk of its directory's subtree, and every verdict and reason stays.
TEST(VerdictsOnly, SameVerdictsAndReasonsWithoutTheSimilarFileSearch) {
  test::TempDir dir;
  test::write(dir.path() / "src/user_service.py", "class UserService: pass\n");
  test::write(dir.path() / "src/helpers/user_services_util.py", "");
  test::write(dir.path() / "tests/test_user_service.py", "def test_user(): pass\n");
  auto doc = tasks::parse(
      "- [ ] T1 Missing code\n"
      "  evidence: code path=src/user_services.py\n"
      "  evidence: test path=tests/test_users.py\n"
      "- [x] T2 Verified\n"
      "  evidence: code path=src/user_service.py symbol=UserService\n"
      "  evidence: test path=tests/test_user_service.py contains=\"def test_user\"\n"
      "- [ ] T3 Directory\n"
      "  evidence: code path=src/helpers/ contains=zzz\n",
      "tasks.md");
  ASSERT_TRUE(doc.has_value());
  CountingSource full_src(dir.str());
  CountingSource lean_src(dir.str());
  verify::Options lean;
  lean.verdicts_only = true;
  verify::Summary full = verify::verify(*doc, full_src);
  verify::Summary quick = verify::verify(*doc, lean_src, lean);
  ASSERT_EQ(full.tasks.size(), quick.tasks.size());
  EXPECT_EQ(full.totals, quick.totals);
  for (std::size_t i = 0; i < full.tasks.size(); ++i) {
    const auto& a = full.tasks[i];
    const auto& b = quick.tasks[i];
    EXPECT_EQ(a.verified, b.verified) << a.id;
    ASSERT_EQ(a.checks.size(), b.checks.size()) << a.id;
    for (std::size_t c = 0; c < a.checks.size(); ++c) {
      EXPECT_EQ(a.checks[c].ok, b.checks[c].ok) << a.id;
      EXPECT_EQ(a.checks[c].reason, b.checks[c].reason) << a.id;
      EXPECT_EQ(a.checks[c].exists, b.checks[c].exists) << a.id;
      EXPECT_TRUE(b.checks[c].similar.empty()) << a.id;
    }
  }
  EXPECT_FALSE(full.tasks[0].checks[0].similar.empty());  // the search ran without the option
  EXPECT_EQ(full.tasks[0].category, "naming_issue");
  // Only the directory check of T3 lists anything (src/helpers/ itself).
  EXPECT_LT(lean_src.lists, full_src.lists);
  EXPECT_EQ(lean_src.lists, 1);
}

}  // namespace
}  // namespace smartspec
