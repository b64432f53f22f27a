#!/usr/bin/env bash
# Keeps the last N releases.

prune_releases() {
  local root=$1 keep=${2:-5}
  local old
  old=$(ls -1 "$root/releases" | sort | head -n -"$keep")
  for r in $old; do
    rm -rf "${root:?}/releases/$r"
  done
}
