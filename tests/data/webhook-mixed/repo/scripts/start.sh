#!/bin/sh
# Starts the webhook receiver on $PORT (default 8080).
set -eu
PORT=${PORT:-8080}
cd "$(dirname "$0")/.."
exec node -e "require('./server/index').start(${PORT})"
