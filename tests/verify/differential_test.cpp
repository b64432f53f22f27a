// The differential test's committed Python verdicts (tests/data/differential,
// recorded by `scripts/differential --write-golden` with SmartSpec's real
// verifier): the cases are regenerated from their seeds and the native
// verifier, with --python-compat, must give every task the same verdict,
// category and evidence reasons. No Python verifier is needed here; the
// generator needs python3 (a build dependency).
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.hpp"

namespace smartspec {
namespace {

TEST(Differential, NativeVerdictsEqualTheRecordedPythonVerdicts) {
  auto script = test::source_dir() / "scripts" / "differential";
  auto golden = test::fixtures() / "differential" / "golden.json";
  test::TempDir dir;
  auto r = test::run(
      {"python3", script.string(), "--check-golden", golden.string(), "--bin", test::binary()},
      dir.str());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("golden check: "), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace smartspec
