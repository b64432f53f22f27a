#include "smartspec/exec/apply.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

namespace fs = std::filesystem;

plan::PlannedFile file(std::string path, FileRole role, plan::Action action, std::string content) {
  plan::PlannedFile f;
  f.path = std::move(path);
  f.role = role;
  f.action = action;
  f.has_content = !content.empty();
  f.content = std::move(content);
  return f;
}

plan::PlannedTask task(Unit category, std::vector<plan::PlannedFile> files) {
  plan::PlannedTask t;
  t.id = "TSK-1";
  t.title = "A task";
  t.category = category;
  t.unit = category;
  t.files = std::move(files);
  return t;
}

PackTask pack_task(Unit category) {
  PackTask p;
  p.id = "TSK-1";
  p.category = category;
  p.source = std::string(unit_name(category)) + ".md";
  p.line = 10;
  return p;
}

struct Fixture {
  test::TempDir dir;
  ApplyOptions opt;
  Fixture() { opt.root = dir.str(); }
  TaskOutcome apply(const plan::PlannedTask& t, const PackTask& p) {
    FileTxn txn(dir.str());
    TaskOutcome o = apply_task(t, p, opt, txn);
    touched = txn.touched();
    txn.commit();
    return o;
  }
  std::string read(const std::string& rel) { return test::read(dir.path() / rel); }
  std::vector<Touched> touched;
};

// ------------------------------------------------------------ create

TEST(ApplyCreate, WritesCodeAndTestFilesWithFinalNewline) {
  Fixture fx;
  auto t = task(
      Unit::kNotImplemented,
      {file("src/inv/stock.py", FileRole::kCode, plan::Action::kCreate, "class Stock:\n    pass"),
       file("tests/test_stock.py", FileRole::kTest, plan::Action::kCreate,
            "def test_stock():\n    assert True\n")});
  auto o = fx.apply(t, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(o.files_created, (std::vector<std::string>{"src/inv/stock.py", "tests/test_stock.py"}));
  EXPECT_EQ(fx.read("src/inv/stock.py"), "class Stock:\n    pass\n");
  EXPECT_EQ(fx.read("tests/test_stock.py"), "def test_stock():\n    assert True\n");
  EXPECT_EQ(fx.touched, (std::vector<Touched>{{"src/inv/stock.py", Change::kCreated},
                                              {"tests/test_stock.py", Change::kCreated}}));
}

TEST(ApplyCreate, NewFileLineEndingComesFromTheCallback) {
  Fixture fx;
  fx.opt.line_ending = [](const std::string& rel) {
    return rel.ends_with(".bat") ? std::string("\r\n") : std::string("\n");
  };
  auto t = task(Unit::kMissingCode,
                {file("run.bat", FileRole::kCode, plan::Action::kCreate, "@echo off\r\necho hi")});
  auto o = fx.apply(t, pack_task(Unit::kMissingCode));
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(fx.read("run.bat"), "@echo off\r\necho hi\r\n");
}

TEST(ApplyCreate, ExistingDifferentFileFailsUnlessOverwrite) {
  Fixture fx;
  test::write(fx.dir.path() / "a.py", "old = 1\r\n");
  auto t =
      task(Unit::kMissingCode, {file("a.py", FileRole::kCode, plan::Action::kModify, "new = 2\n")});
  auto pt = pack_task(Unit::kMissingCode);
  auto o = fx.apply(t, pt);
  EXPECT_EQ(o.status, TaskStatus::kRefused);
  EXPECT_EQ(o.error, "a.py: exists, would overwrite");
  EXPECT_EQ(o.file, "a.py");
  EXPECT_EQ(o.suggested_fix, "rerun with --overwrite to replace it, or remove it first");
  EXPECT_EQ(fx.read("a.py"), "old = 1\r\n");
  EXPECT_TRUE(fx.touched.empty());

  pt.suggestions = {"Implement the module by hand"};
  EXPECT_EQ(fx.apply(t, pt).suggested_fix, "Implement the module by hand");

  fx.opt.overwrite = true;
  o = fx.apply(t, pt);
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(o.files_modified, (std::vector<std::string>{"a.py"}));
  EXPECT_EQ(fx.read("a.py"), "new = 2\r\n");  // the existing file's line endings
}

TEST(ApplyCreate, IdenticalFileIsANoOp) {
  Fixture fx;
  test::write(fx.dir.path() / "a.py", "x = 1\r\n");
  auto t =
      task(Unit::kMissingCode, {file("a.py", FileRole::kCode, plan::Action::kModify, "x = 1\n")});
  auto o = fx.apply(t, pack_task(Unit::kMissingCode));
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_TRUE(o.files_created.empty());
  EXPECT_TRUE(o.files_modified.empty());
  EXPECT_EQ(o.notes, (std::vector<std::string>{"a.py: identical, nothing written"}));
  EXPECT_EQ(fx.read("a.py"), "x = 1\r\n");
  EXPECT_TRUE(fx.touched.empty());
}

TEST(ApplyCreate, RefusedPathFailsAndWritesNothing) {
  Fixture fx;
  auto t =
      task(Unit::kNotImplemented,
           {file("ok.py", FileRole::kCode, plan::Action::kCreate, "x = 1\n"),
            file(".git/hooks/post-checkout", FileRole::kOther, plan::Action::kCreate, "evil\n")});
  auto o = fx.apply(t, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.status, TaskStatus::kRefused);
  EXPECT_EQ(o.error, ".git/hooks/post-checkout: path inside .git refused");
  EXPECT_FALSE(fs::exists(fx.dir.path() / "ok.py"));
  EXPECT_FALSE(fs::exists(fx.dir.path() / ".git"));
}

TEST(ApplyCreate, TemplateArtefactFailsBeforeWriting) {
  Fixture fx;
  auto pt = pack_task(Unit::kNotImplemented);
  pt.raw = "## Task 1: TSK-1 - A task\n\n```python\nx = 1\n{{else}}\n```\n";
  pt.artefacts = {{"not_implemented.md", 14, "template artefact '{{else}}'"}};
  auto t = task(Unit::kNotImplemented,
                {file("a.py", FileRole::kCode, plan::Action::kCreate, "x = 1\n{{else}}\n")});
  auto o = fx.apply(t, pt);
  EXPECT_EQ(o.status, TaskStatus::kRefused);
  EXPECT_EQ(o.error,
            "a.py: template artefact '{{else}}' in the content (not_implemented.md:14); nothing "
            "written");
  EXPECT_EQ(o.line, 2);
  EXPECT_FALSE(fs::exists(fx.dir.path() / "a.py"));

  // Found without the pack's help too.
  auto t2 = task(Unit::kNotImplemented,
                 {file("b.py", FileRole::kCode, plan::Action::kCreate, "y = 1\n  {{/if}}\n")});
  o = fx.apply(t2, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.error, "b.py: template artefact '{{/if}}' in the content; nothing written");
}

TEST(ApplyCreate, SyntaxErrorUndoesTheTask) {
  Fixture fx;
  auto t = task(Unit::kNotImplemented,
                {file("good.py", FileRole::kCode, plan::Action::kCreate, "x = 1\n"),
                 file("pkg/bad.py", FileRole::kCode, plan::Action::kCreate,
                      "def ok():\n    return 1\n\ndef bad(:\n    pass\n")});
  auto o = fx.apply(t, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.status, TaskStatus::kFailed);
  EXPECT_EQ(o.error, "Syntax error in generated code: pkg/bad.py:4: invalid syntax");
  EXPECT_EQ(o.file, "pkg/bad.py");
  EXPECT_EQ(o.line, 4);
  EXPECT_TRUE(o.files_created.empty());
  EXPECT_FALSE(fs::exists(fx.dir.path() / "good.py"));
  EXPECT_FALSE(fs::exists(fx.dir.path() / "pkg"));
}

TEST(ApplyCreate, NothingToApplyNeedsAnAgent) {
  Fixture fx;
  auto t = task(Unit::kNotImplemented, {file("a.py", FileRole::kCode, plan::Action::kNone, "")});
  t.needs_agent = true;
  t.notes = {"needs an agent: the pack gives no content"};
  auto o = fx.apply(t, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.status, TaskStatus::kSkippedNeedsAgent);
  EXPECT_EQ(o.error, "the pack gives no content");
  EXPECT_EQ(o.notes, t.notes);
  EXPECT_FALSE(fs::exists(fx.dir.path() / "a.py"));
}

TEST(ApplyCreate, SkeletonsOnlyWithApplySkeletons) {
  Fixture fx;
  auto sk = file("a.py", FileRole::kCode, plan::Action::kCreate, "");
  sk.content = "class A:\n    # TODO: implement\n    pass\n";
  sk.skeleton = true;
  auto t = task(Unit::kNotImplemented, {sk});
  t.needs_agent = true;
  auto o = fx.apply(t, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.status, TaskStatus::kSkippedNeedsAgent);
  EXPECT_FALSE(fs::exists(fx.dir.path() / "a.py"));

  fx.opt.apply_skeletons = true;
  o = fx.apply(t, pack_task(Unit::kNotImplemented));
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(o.skeletons, (std::vector<std::string>{"a.py"}));
  EXPECT_TRUE(o.notes.empty());
  EXPECT_EQ(fx.read("a.py"), sk.content);
}

// ------------------------------------------------------------ symbol / content

const char* kModels =
    "\"\"\"Inventory models.\"\"\"\n"
    "from __future__ import annotations\n"
    "\n"
    "import json\n"
    "from dataclasses import (\n"
    "    dataclass,\n"
    "    field,\n"
    ")\n"
    "\n"
    "\n"
    "@dataclass\n"
    "class Item:\n"
    "    name: str\n"
    "    tags: list = field(default_factory=list)\n";

TEST(ApplySymbol, PythonSnippetKeepsEveryLineImportsAfterTheImportBlock) {
  Fixture fx;
  test::write(fx.dir.path() / "src/models.py", kModels);
  auto t = task(Unit::kSymbolIssue,
                {file("src/models.py", FileRole::kCode, plan::Action::kModify,
                      "import json\nfrom typing import Dict\n\nclass Warehouse:\n"
                      "    def __init__(self):\n        self.items: Dict[str, Item] = {}\n\n")});
  auto pt = pack_task(Unit::kSymbolIssue);
  pt.symbol = "Warehouse";
  auto o = fx.apply(t, pt);
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(o.files_modified, (std::vector<std::string>{"src/models.py"}));
  EXPECT_EQ(fx.read("src/models.py"),
            "\"\"\"Inventory models.\"\"\"\n"
            "from __future__ import annotations\n"
            "\n"
            "import json\n"
            "from dataclasses import (\n"
            "    dataclass,\n"
            "    field,\n"
            ")\n"
            "from typing import Dict\n"
            "\n"
            "\n"
            "@dataclass\n"
            "class Item:\n"
            "    name: str\n"
            "    tags: list = field(default_factory=list)\n"
            "\n"
            "class Warehouse:\n"
            "    def __init__(self):\n"
            "        self.items: Dict[str, Item] = {}\n");
}

TEST(ApplySymbol, CrlfFileStaysCrlfAndWithoutFinalNewline) {
  Fixture fx;
  test::write(fx.dir.path() / "app.js", "const a = 1;\r\nconst b = 2;");
  auto t = task(Unit::kContentIssue, {file("app.js", FileRole::kCode, plan::Action::kModify,
                                           "function audit() {\n  return 'json';\n}\n")});
  auto pt = pack_task(Unit::kContentIssue);
  pt.contains = "function audit";
  auto o = fx.apply(t, pt);
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(fx.read("app.js"),
            "const a = 1;\r\nconst b = 2;\r\n\r\nfunction audit() {\r\n  return 'json';\r\n}");
}

TEST(ApplySymbol, AlreadyPresentWritesNothing) {
  Fixture fx;
  test::write(fx.dir.path() / "src/models.py", kModels);
  auto t = task(Unit::kSymbolIssue, {file("src/models.py", FileRole::kCode, plan::Action::kModify,
                                          "class Item:\n    pass\n")});
  auto pt = pack_task(Unit::kSymbolIssue);
  pt.symbol = "Item";
  auto o = fx.apply(t, pt);
  EXPECT_EQ(o.status, TaskStatus::kAlreadyPresent);
  EXPECT_EQ(o.notes, (std::vector<std::string>{"already present: src/models.py"}));
  EXPECT_EQ(fx.read("src/models.py"), kModels);
  EXPECT_TRUE(fx.touched.empty());
  // A symbol that only occurs inside another identifier is not present.
  EXPECT_FALSE(contains_symbol("class ItemList: pass", "Item"));
  EXPECT_TRUE(contains_symbol("x = Item()", "Item"));
}

TEST(ApplySymbol, MissingFileFails) {
  Fixture fx;
  auto t = task(Unit::kContentIssue,
                {file("src/audit.py", FileRole::kCode, plan::Action::kModify, "import json\n")});
  auto o = fx.apply(t, pack_task(Unit::kContentIssue));
  EXPECT_EQ(o.status, TaskStatus::kFailed);
  EXPECT_EQ(o.error, "src/audit.py: file not found");
  EXPECT_EQ(o.file, "src/audit.py");
  EXPECT_FALSE(fs::exists(fx.dir.path() / "src"));
}

TEST(ApplySymbol, ImportInsertOffsets) {
  EXPECT_EQ(python_import_insert_offset(""), 0u);
  EXPECT_EQ(python_import_insert_offset("x = 1\n"), 0u);
  EXPECT_EQ(python_import_insert_offset("#!/usr/bin/env python3\n# licence\n\nx = 1\n"), 33u);
  EXPECT_EQ(python_import_insert_offset("'''Doc\nmore'''\nx = 1\n"), 15u);
  EXPECT_EQ(python_import_insert_offset("import a\nimport b \\\n  as c\ndef f(): pass\n"), 27u);
  // Imports below code are not part of the top block.
  EXPECT_EQ(python_import_insert_offset("import a\nx = 1\nimport b\n"), 9u);
  EXPECT_EQ(add_snippet("import os", "import sys", true), "import os\nimport sys");
  EXPECT_EQ(add_snippet("x = 1\n\n", "y = 2", false), "x = 1\n\ny = 2\n");
}

// Issue 19, defect 7: additive snippets follow their language's layout and
// never repeat what the file holds.
TEST(ApplySymbol, SnippetsFollowTheLanguagesLayout) {
  // Shell: `set` lines join the header once; the body goes before a final exit.
  EXPECT_EQ(add_snippet_for("run.sh", "#!/bin/sh\nset -e\necho a\nexit 0\n",
                            "#!/bin/bash\nset -e\nset -u\nf() { :; }", "bash"),
            "#!/bin/sh\nset -e\nset -u\necho a\n\nf() { :; }\n\nexit 0\n");
  // No final exit: at the end.
  EXPECT_EQ(add_snippet_for("run.sh", "#!/bin/sh\necho a\n", "f() { :; }", "sh"),
            "#!/bin/sh\necho a\n\nf() { :; }\n");
  // TypeScript: imports after the import block (a multi-line one too), once.
  EXPECT_EQ(
      add_snippet_for("src/a.ts",
                      "// header\nimport {\n  a,\n} from './a';\nimport b from './b';\n\n"
                      "export const x = 1;\n",
                      "import b from './b';\nimport c from './c';\n\nexport function f() {}",
                      "typescript"),
      "// header\nimport {\n  a,\n} from './a';\nimport b from './b';\nimport c from './c';\n\n"
      "export const x = 1;\n\nexport function f() {}\n");
  // Python: a body already in the file is not added again, nor its import.
  EXPECT_EQ(add_snippet_for("m.py", "import json\n\ndef f():\n    return json.dumps(1)\n",
                            "import json\n\ndef f():\n    return json.dumps(1)", "python"),
            "import json\n\ndef f():\n    return json.dumps(1)\n");
}

// ------------------------------------------------------------ naming

TEST(ApplyNaming, RenameKeepsContent) {
  Fixture fx;
  test::write(fx.dir.path() / "src/stock_service.py", "class StockService:\n    pass\n");
  auto f = file("src/stock_services.py", FileRole::kCode, plan::Action::kRename, "");
  f.from = "src/stock_service.py";
  f.candidates = {"src/stock_service.py"};
  auto o = fx.apply(task(Unit::kNamingIssue, {f}), pack_task(Unit::kNamingIssue));
  EXPECT_EQ(o.status, TaskStatus::kSucceeded) << o.error;
  EXPECT_EQ(o.files_renamed, (std::vector<std::pair<std::string, std::string>>{
                                 {"src/stock_service.py", "src/stock_services.py"}}));
  EXPECT_EQ(fx.read("src/stock_services.py"), "class StockService:\n    pass\n");
  EXPECT_FALSE(fs::exists(fx.dir.path() / "src/stock_service.py"));
  EXPECT_EQ(fx.touched, (std::vector<Touched>{{"src/stock_service.py", Change::kDeleted},
                                              {"src/stock_services.py", Change::kCreated}}));
}

TEST(ApplyNaming, SeveralOrNoCandidatesFailWithTheList) {
  Fixture fx;
  test::write(fx.dir.path() / "a1.py", "1\n");
  test::write(fx.dir.path() / "a2.py", "2\n");
  auto f = file("a.py", FileRole::kCode, plan::Action::kNone, "");
  f.candidates = {"a1.py", "a2.py"};
  auto o = fx.apply(task(Unit::kNamingIssue, {f}), pack_task(Unit::kNamingIssue));
  EXPECT_EQ(o.status, TaskStatus::kFailed);
  EXPECT_EQ(o.error, "a.py: 2 similar files, cannot choose which to rename (a1.py, a2.py)");
  f.candidates.clear();
  o = fx.apply(task(Unit::kNamingIssue, {f}), pack_task(Unit::kNamingIssue));
  EXPECT_EQ(o.error, "a.py: no similar file to rename");
  EXPECT_EQ(fx.read("a1.py"), "1\n");
  EXPECT_FALSE(fs::exists(fx.dir.path() / "a.py"));
}

// The pack's option A (the engine marks the task): the evidence path would be
// pointed at the similar file, and the failure says that, not "rename".
TEST(ApplyNaming, OptionAFailuresSpeakOfTheEvidencePath) {
  Fixture fx;
  test::write(fx.dir.path() / "a1.py", "1\n");
  test::write(fx.dir.path() / "a2.py", "2\n");
  auto f = file("a.py", FileRole::kCode, plan::Action::kNone, "");
  f.candidates = {"a1.py", "a2.py"};
  auto t = task(Unit::kNamingIssue, {f});
  t.evidence_update = true;
  auto o = fx.apply(t, pack_task(Unit::kNamingIssue));
  EXPECT_EQ(o.status, TaskStatus::kFailed);
  EXPECT_EQ(o.error,
            "a.py: 2 similar files, cannot choose which to point the evidence at (a1.py, a2.py)");
  EXPECT_EQ(o.suggested_fix,
            "point the evidence path in tasks.md at the right file by hand, or rerun with "
            "--rename-files");
  t.files.front().candidates.clear();
  o = fx.apply(t, pack_task(Unit::kNamingIssue));
  EXPECT_EQ(o.error,
            "a.py: no similar file to point the evidence at (the pack names none that exists)");
  EXPECT_FALSE(fs::exists(fx.dir.path() / "a.py"));
}

TEST(ApplyNaming, TargetAlreadyThereIsAlreadyPresent) {
  Fixture fx;
  test::write(fx.dir.path() / "a.py", "1\n");
  auto f = file("a.py", FileRole::kCode, plan::Action::kNone, "");
  auto o = fx.apply(task(Unit::kNamingIssue, {f}), pack_task(Unit::kNamingIssue));
  EXPECT_EQ(o.status, TaskStatus::kAlreadyPresent);
  EXPECT_EQ(o.notes, (std::vector<std::string>{"already present: a.py"}));
}

}  // namespace
}  // namespace smartspec::exec
