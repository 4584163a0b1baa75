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
  exec_answer "$type" -- "$@"
}

# exec_answer ARGS...: asks the launcher entry (ARGS: a type and its arguments, or `exec-as HOLDER
# -- CMD...`) for the argv to run, NUL-separated, then execs it. The argv carries `env -u NAME...`
# for every secret the process may not see (src/secrets.ts): if that cannot run, nothing starts.
exec_answer() {
  local argv_file
  argv_file="$(mktemp)"
  # V8's compile cache (Node >= 22.1): the bundle is parsed once per dyno, not at every start
  local rc=0
  NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${TMPDIR:-/tmp}/node-compile-cache}" "$NODE" "$LAUNCH_ENTRY" "$@" >"$argv_file" || rc=$?
  if [ "$rc" -ne 0 ]; then
    rm -f "$argv_file"
    # the Problem's own exit code (src/errors.ts), as from the CLI
    exit "$rc"
  fi
  local argv=()
  mapfile -d '' -t argv <"$argv_file"
  rm -f "$argv_file"
  exec "${argv[@]}"
}

# run_as HOLDER CMD...: execs CMD (a sidecar, the proxy) with only the secrets HOLDER may see (src/secrets.ts).
run_as() {
  local holder="$1"
  shift
  launch_entry "$holder"
  exec_answer exec-as "$holder" -- "$@"
}

# SPARK_AUTOSCALE_MAX: the autoscaler beside a master (src/autoscale/run.ts; only the leading master's
# acts). Detached from this shell (it becomes the JVM), still in the dyno's process group: it ends with the dyno.
autoscaler() {
  [ -n "${SPARK_AUTOSCALE_MAX:-}" ] || return 0
  launch_entry master
  # the sidecar entry beside the launcher's (src/launch/sidecar.ts): not in the bundle every dyno loads first
  local sidecar="${LAUNCH_ENTRY%/*}/sidecar.mjs"
  [ "${LAUNCH_ENTRY##*.}" = mjs ] || sidecar="${LAUNCH_ENTRY%/*}/sidecar.js"
  # the Platform API token, and no other secret (src/secrets.ts)
  (run_as autoscale "$NODE" "$sidecar" autoscale </dev/null &)
}
