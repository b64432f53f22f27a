// Golden tests of the run report (markdown and JSON) for the four scenarios of
// issue 6, compared byte for byte with tests/report/golden/<scenario>.{md,json}.
//
// To refresh the golden files after an intended change of the report, run
//   SMARTSPEC_UPDATE_GOLDEN=1 ./build/tests/report_tests --gtest_filter='ReportGolden*'
// which rewrites them instead of comparing; review the diff with `git diff
// tests/report/golden` before committing it.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "report/scenarios.hpp"
#include "smartspec/report/report.hpp"

namespace smartspec::report {
namespace {

const std::string kGoldenDir = std::string(SMARTSPEC_SOURCE_DIR) + "/tests/report/golden/";

void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = kGoldenDir + name;
  const char* update = std::getenv("SMARTSPEC_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing; run with SMARTSPEC_UPDATE_GOLDEN=1 to create it";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "golden file " << path << " differs; SMARTSPEC_UPDATE_GOLDEN=1 refreshes it";
}

struct Scenario {
  const char* name;
  RunReport (*make)();
};

class ReportGolden : public ::testing::TestWithParam<Scenario> {};

TEST_P(ReportGolden, Markdown) {
  check_golden(std::string(GetParam().name) + ".md", render_markdown(GetParam().make()));
}

TEST_P(ReportGolden, Json) {
  check_golden(std::string(GetParam().name) + ".json", render_json(GetParam().make()));
}

// The JSON is valid, its totals add up, and they agree with the tasks listed
// per unit (a script can trust either).
TEST_P(ReportGolden, JsonParsesAndTotalsAddUp) {
  const RunReport r = GetParam().make();
  const std::string json = render_json(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS);

  simdjson::dom::object t = doc["totals"].get_object();
  int64_t total = t["total"].get_int64();
  int64_t sum = 0;
  for (const char* k : {"verified", "applied_unverified", "no_change", "needs_agent", "refused",
                        "failed", "already_done", "not_run"})
    sum += t[k].get_int64().value();
  EXPECT_EQ(total, sum);

  std::map<std::string, int64_t> by_status;
  int64_t listed = 0;
  for (simdjson::dom::element u : doc["units"].get_array()) {
    for (simdjson::dom::element task : u["tasks"].get_array()) {
      ++listed;
      ++by_status[std::string(task["status"].get_string().value())];
    }
  }
  EXPECT_EQ(listed, total);
  for (const char* k : {"verified", "applied_unverified", "no_change", "needs_agent", "refused",
                        "failed", "already_done", "not_run"})
    EXPECT_EQ(by_status[k], t[k].get_int64().value()) << k;

  // The same facts as the RunReport.
  const Totals expected = totals(r);
  EXPECT_EQ(total, expected.total);
  EXPECT_EQ(std::string(doc["run_id"].get_string().value()), r.run_id);
  EXPECT_EQ(doc["exit_code"].get_int64().value(), r.exit_code);
  EXPECT_EQ(doc["units"].get_array().size(), r.units.size());
  EXPECT_EQ(doc["verification"]["after"].is_null(), !r.after.has_value());
  if (r.before) {
    EXPECT_EQ(doc["verification"]["before"]["verified"].get_int64().value(), r.before->verified);
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ReportGolden,
                         ::testing::Values(Scenario{"all_succeeded", test::all_succeeded},
                                           Scenario{"failures_within_budget",
                                                    test::failures_within_budget},
                                           Scenario{"rolled_back", test::rolled_back},
                                           Scenario{"resumed", test::resumed}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace smartspec::report
