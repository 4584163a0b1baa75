# Sourced by the launchers in bin/: renders the Spark conf from config vars (node) and execs the
# process so that it, not a wrapper, receives SIGTERM. Nothing here hard-codes /app.
# shellcheck shell=bash
# Sets NODE (support/node.sh) and LAUNCH_ENTRY: dist/launch.mjs, the launcher entry bundled by
# `npm run build` (starts faster than the full CLI), else the compiled one.
launch_entry() {
  local app_dir
  app_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  # shellcheck source=node.sh
  source "$app_dir/bin/support/node.sh"
  runtime_node "$1" || exit 1
  LAUNCH_ENTRY="$app_dir/dist/launch.mjs"
  [ -f "$LAUNCH_ENTRY" ] || LAUNCH_ENTRY="$app_dir/dist/launch/main.js"
}

launch() {
  local type="$1"
  shift
  launch_entry "$type"
  local argv_file
  argv_file="$(mktemp)"
  if ! "$NODE" "$LAUNCH_ENTRY" "$type" -- "$@" >"$argv_file"; then
    rm -f "$argv_file"
    exit 1
  fi
  local argv=()
  mapfile -d '' -t argv <"$argv_file"
  rm -f "$argv_file"
  exec "${argv[@]}"
}
