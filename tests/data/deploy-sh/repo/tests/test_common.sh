#!/usr/bin/env bash
# Plain bash tests for lib/common.sh.
set -eu
. "$(dirname "$0")/../lib/common.sh"

test_log_info_writes_stderr() {
  out=$(log_info hello 2>&1 >/dev/null)
  [ "$out" = "[info] hello" ]
}

test_log_info_writes_stderr
echo ok
