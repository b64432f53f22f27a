#include "smartspec/exec/file_txn.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(FileTxn, RollbackRestoresBytesModesAndRemovesCreatedDirs) {
  test::TempDir dir;
  test::write(dir.path() / "keep.sh", "#!/bin/sh\r\necho hi\r\n");
  ASSERT_EQ(::chmod((dir.path() / "keep.sh").c_str(), 0755), 0);
  test::write(dir.path() / "gone.txt", "bye");
  test::write(dir.path() / "old/name.py", "x = 1\n");
  {
    FileTxn txn(dir.str());
    ASSERT_TRUE(txn.write_file("keep.sh", "changed\n"));
    ASSERT_TRUE(txn.append("keep.sh", "more\n"));
    ASSERT_TRUE(txn.remove("gone.txt"));
    ASSERT_TRUE(txn.write_file("new/deep/dir/f.py", "y = 2\n"));
    ASSERT_TRUE(txn.rename("old/name.py", "old/renamed.py"));
    EXPECT_EQ(mode_of(dir.path() / "keep.sh"), 0755u);  // kept while writing
    EXPECT_EQ(txn.touched(), (std::vector<Touched>{{"gone.txt", Change::kDeleted},
                                                   {"keep.sh", Change::kModified},
                                                   {"new/deep/dir/f.py", Change::kCreated},
                                                   {"old/name.py", Change::kDeleted},
                                                   {"old/renamed.py", Change::kCreated}}));
    ASSERT_TRUE(txn.rollback());
    EXPECT_TRUE(txn.touched().empty());
  }
  EXPECT_EQ(test::read(dir.path() / "keep.sh"), "#!/bin/sh\r\necho hi\r\n");
  EXPECT_EQ(mode_of(dir.path() / "keep.sh"), 0755u);
  EXPECT_EQ(test::read(dir.path() / "gone.txt"), "bye");
  EXPECT_EQ(test::read(dir.path() / "old/name.py"), "x = 1\n");
  EXPECT_FALSE(fs::exists(dir.path() / "old/renamed.py"));
  EXPECT_FALSE(fs::exists(dir.path() / "new"));
}

TEST(FileTxn, DestructorRollsBackUnlessCommitted) {
  test::TempDir dir;
  {
    FileTxn txn(dir.str());
    ASSERT_TRUE(txn.write_file("a/b.txt", "1\n"));
  }
  EXPECT_FALSE(fs::exists(dir.path() / "a"));
  {
    FileTxn txn(dir.str());
    ASSERT_TRUE(txn.write_file("a/b.txt", "1\n"));
    EXPECT_EQ(txn.touched(), (std::vector<Touched>{{"a/b.txt", Change::kCreated}}));
    txn.commit();
  }
  EXPECT_EQ(test::read(dir.path() / "a/b.txt"), "1\n");
}

TEST(FileTxn, RewritingIdenticalBytesIsNotAChange) {
  test::TempDir dir;
  test::write(dir.path() / "same.txt", "same\n");
  FileTxn txn(dir.str());
  ASSERT_TRUE(txn.write_file("same.txt", "same\n"));
  EXPECT_TRUE(txn.touched().empty());
  txn.commit();
}

TEST(FileTxn, RefusesConfinementViolationsAndBadOperations) {
  test::TempDir dir;
  FileTxn txn(dir.str());
  auto r = txn.write_file("../escape.txt", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "../escape.txt: '..' in path refused");
  auto a = txn.append("missing.txt", "x");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().to_string(), "missing.txt: file not found");
  test::write(dir.path() / "t.txt", "t");
  test::write(dir.path() / "u.txt", "u");
  auto mv = txn.rename("t.txt", "u.txt");
  ASSERT_FALSE(mv);
  EXPECT_EQ(mv.error().to_string(), "u.txt: exists, would overwrite");
  EXPECT_EQ(test::read(dir.path() / "t.txt"), "t");
  EXPECT_EQ(test::read(dir.path() / "u.txt"), "u");
  EXPECT_FALSE(fs::exists(dir.path().parent_path() / "escape.txt"));
  ASSERT_TRUE(txn.rollback());
}

}  // namespace
}  // namespace smartspec::exec
