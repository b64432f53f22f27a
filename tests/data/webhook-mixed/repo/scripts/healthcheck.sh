#!/usr/bin/env bash
# Exits 0 when the receiver answers.
check_port() {
  local port=$1
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

check_port "${PORT:-8080}"
