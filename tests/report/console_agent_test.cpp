// The console during an agent call (issue 18): the live line with the
// agent's last output on a terminal, a plain line every 30 s off it, and the
// tail of a failed call's output with its log. Elapsed times are given, not
// measured: exact bytes out.
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <functional>
#include <string>
#include <vector>

#include "smartspec/report/console.hpp"

namespace smartspec::report {
namespace {

std::string capture(bool terminal, bool quiet, const std::function<void(Console&)>& body) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&buf, &size);
  EXPECT_NE(f, nullptr);
  {
    Console c(f, terminal, false, quiet);
    body(c);
  }
  fclose(f);
  std::string out(buf, size);
  free(buf);
  return out;
}

TEST(ConsoleAgent, OffATerminalALineEveryThirtySecondsOfACall) {
  std::string out = capture(false, false, [](Console& c) {
    for (double s : {1.0, 2.0, 29.9, 30.1, 31.0, 59.0, 61.5, 62.0}) {
      c.agent_running("missing_code", 5, 7, "TSK-INV-005", s, "thinking\x1b[31m");
    }
    // A new call: elapsed starts again.
    for (double s : {1.0, 30.0}) c.agent_running("missing_code", 6, 7, "TSK-INV-007", s, "");
  });
  EXPECT_EQ(out,
            "TSK-INV-005: agent running, 0:30 elapsed\n"
            "TSK-INV-005: agent running, 1:01 elapsed\n"
            "TSK-INV-007: agent running, 0:30 elapsed\n");
}

TEST(ConsoleAgent, OnATerminalTheLiveLineTicksWithTheLastOutputLine) {
  std::string out = capture(true, false, [](Console& c) {
    c.agent_running("missing_code", 5, 7, "TSK-INV-005", 1.2, "");
    c.agent_running("missing_code", 5, 7, "TSK-INV-005", 2.3, "exec mkdir -p src\r\x1b[2J");
  });
  EXPECT_EQ(out,
            "\r\x1b[Kmissing_code: task 5/7, TSK-INV-005: agent running, 0:01 elapsed"
            "\r\x1b[Kmissing_code: task 5/7, TSK-INV-005: agent running, 0:02 elapsed | "
            "exec mkdir -p src \\x1b[2J"
            "\r\x1b[K");
}

TEST(ConsoleAgent, QuietPrintsNoProgressButTheFailedCallsOutput) {
  std::string out = capture(false, true, [](Console& c) {
    c.agent_running("missing_code", 5, 7, "TSK-INV-005", 31, "x");
    c.agent_output({"Error: API key missing", "exiting"},
                   "/r/.git/smartspec/logs/run/TSK-INV-005.log");
  });
  EXPECT_EQ(out,
            "    | Error: API key missing\n"
            "    | exiting\n"
            "    log: /r/.git/smartspec/logs/run/TSK-INV-005.log\n");
}

// --jobs (issue 21): several calls at once share one line. `since` is the
// time since the unit's calls began; every call's own elapsed time is shown.
TEST(ConsoleAgent, OffATerminalParallelCallsGetALineEveryThirtySeconds) {
  std::string out = capture(false, false, [](Console& c) {
    const std::vector<RunningCall> three = {
        {"TSK-1", 12.0, "a"}, {"TSK-2", 8.4, ""}, {"TSK-3\x1b[2J", 3.0, "b"}};
    for (double s : {1.0, 12.0, 29.0}) c.agents_running("unit_a", 0, 8, three, s);
    c.agents_running("unit_a", 2, 8, three, 30.5);
    c.agents_running("unit_a", 2, 8, {{"TSK-3", 33.0, ""}}, 33.0);
    c.agents_running("unit_a", 3, 8, {{"TSK-3", 61.0, ""}}, 61.0);
  });
  EXPECT_EQ(out,
            "3 agents running (2/8 done): TSK-1 0:12, TSK-2 0:08, TSK-3\\x1b[2J 0:03\n"
            "1 agent running (3/8 done): TSK-3 1:01\n");
}

TEST(ConsoleAgent, OnATerminalParallelCallsShareTheLiveLine) {
  std::string out = capture(true, false, [](Console& c) {
    c.agents_running("unit_a", 1, 8, {{"TSK-1", 12.0, ""}, {"TSK-2", 8.4, "step 3"}}, 12.0);
    c.agents_running("unit_a", 1, 8, {{"TSK-2", 9.4, ""}}, 13.0);
  });
  EXPECT_EQ(out,
            "\r\x1b[Kunit_a: 2 agents running, 1/8 done: TSK-1 0:12, TSK-2 0:08 | TSK-2: step 3"
            "\r\x1b[Kunit_a: 1 agent running, 1/8 done: TSK-2 0:09"
            "\r\x1b[K");
}

}  // namespace
}  // namespace smartspec::report
