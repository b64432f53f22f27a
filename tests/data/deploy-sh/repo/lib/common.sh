#!/usr/bin/env bash
# Logging helpers shared by the scripts.

log_info() {
  printf '[info] %s\n' "$*" >&2
}

die() {
  printf '[error] %s\n' "$*" >&2
  exit 1
}
