#!/bin/sh
# nxflow release launcher: runs the bundled Deno runtime on the bundled code with the bundled module cache. It never
# fetches anything (--cached-only, --frozen lockfile): a missing module is an error, not a download.
set -eu
root=$(dirname "$(dirname "$(readlink -f "$0")")")
export DENO_DIR="$root/deno_dir"
export DENO_NO_UPDATE_CHECK=1
export NXFLOW_KAFKA_DIR="$root/kafka"
export NXFLOW_LIB_DIR="$root/lib"
if [ -z "${JAVA_HOME:-}" ] && [ -x "$root/java/bin/java" ]; then
  export JAVA_HOME="$root/java"
fi
exec "$root/bin/deno" run --allow-all --cached-only --frozen --no-prompt \
  --config "$root/app/deno.json" "$root/app/mod.ts" "$@"
