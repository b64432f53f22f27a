#!/usr/bin/env bash
# Deploys a release directory next to the current one and switches the symlink.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"

deploy_release() {
  local src=$1 root=$2
  local name
  name=$(date +%Y%m%d%H%M%S)
  mkdir -p "$root/releases"
  cp -r "$src" "$root/releases/$name"
  ln -sfn "$root/releases/$name" "$root/current"
  log_info "deployed $name"
}

[[ $# -eq 2 ]] || die "usage: deploy.sh SRC ROOT"
deploy_release "$1" "$2"
exit 0
