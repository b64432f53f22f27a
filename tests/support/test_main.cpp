// Test main: isolates every test from the machine's git configuration and
// identity, so commit ids repeat and golden files can hold them.
#include <git2.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  static std::string home =
      (fs::temp_directory_path() / ("smartspec-test-home-" + std::to_string(getpid()))).string();
  fs::create_directories(home);
  setenv("HOME", home.c_str(), 1);
  setenv("XDG_CONFIG_HOME", (home + "/.config").c_str(), 1);
  // The scratch repositories (<cache>/smartspec-batch/) stay inside the test's home.
  setenv("XDG_CACHE_HOME", (home + "/.cache").c_str(), 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  setenv("GIT_AUTHOR_NAME", "Test Author", 1);
  setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
  setenv("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z", 1);
  setenv("GIT_COMMITTER_NAME", "Test Committer", 1);
  setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
  setenv("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z", 1);
  setenv("NO_COLOR", "1", 1);
  unsetenv("GIT_DIR");
  unsetenv("GIT_WORK_TREE");
  unsetenv("GIT_INDEX_FILE");
  unsetenv("GIT_COMMON_DIR");
  git_libgit2_init();
  for (int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
                    GIT_CONFIG_LEVEL_PROGRAMDATA}) {
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, home.c_str());
  }
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  git_libgit2_shutdown();
  std::error_code ec;
  fs::remove_all(home, ec);
  return rc;
}
