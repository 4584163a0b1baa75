# Sourced by the launchers in bin/: renders the Spark conf from config vars (node) and execs the
# process so that it, not a wrapper, receives SIGTERM. Nothing here hard-codes /app.
# shellcheck shell=bash
launch() {
  local type="$1"
  shift
  local app_dir
  app_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  # shellcheck source=node.sh
  source "$app_dir/bin/support/node.sh"
  runtime_node "$type" || exit 1
  local argv_file
  argv_file="$(mktemp)"
  # dist/launch.mjs: the launcher entry bundled by `npm run build` (starts faster than the full CLI)
  local entry="$app_dir/dist/launch.mjs"
  [ -f "$entry" ] || entry="$app_dir/dist/launch/main.js"
  if ! "$NODE" "$entry" "$type" -- "$@" >"$argv_file"; then
    rm -f "$argv_file"
    exit 1
  fi
  local argv=()
  mapfile -d '' -t argv <"$argv_file"
  rm -f "$argv_file"
  exec "${argv[@]}"
}
