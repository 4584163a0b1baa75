# Sourced by bin/compile (find_node, ensure_built) and by the launchers (runtime_node): finds Node.js and makes sure the
# TypeScript is built. Sets NODE. Works when the buildpack dir is not the build dir.
# shellcheck shell=bash
find_node() {
  local build_dir="${1:-}"
  local candidates=()
  command -v node >/dev/null 2>&1 && candidates+=("$(command -v node)")
  # the heroku/nodejs buildpack installs Node into the build dir
  [ -n "$build_dir" ] && candidates+=("$build_dir/.heroku/node/bin/node")
  local n major
  for n in "${candidates[@]}"; do
    [ -x "$n" ] || continue
    # `node --version` answers before V8 starts (5 ms; `node -p` costs a whole start)
    major=$("$n" --version 2>/dev/null || echo v0)
    major=${major#v}
    major=${major%%.*}
    [[ "$major" =~ ^[0-9]+$ ]] || major=0
    if [ "$major" -ge 20 ]; then NODE="$n"; return 0; fi
  done
  {
    echo
    echo " !     The spark-in-space buildpack needs Node.js 20 or newer, and none was found on PATH."
    echo " !     Add the Node.js buildpack before this one:"
    echo " !       heroku buildpacks:add --index 1 heroku/nodejs"
    echo
  } >&2
  return 1
}

ensure_built() {
  local bp_dir="$1"
  [ -f "$bp_dir/dist/cli-bundle.mjs" ] && [ -d "$bp_dir/node_modules" ] && return 0
  local npm
  npm="$(dirname "$NODE")/npm"
  [ -x "$npm" ] || npm="$(command -v npm || true)"
  if [ -z "$npm" ]; then
    echo " !     The buildpack is not built (no dist/) and npm is missing to build it." >&2
    return 1
  fi
  echo "-----> Building the spark-in-space buildpack"
  (cd "$bp_dir" && "$npm" ci --no-audit --no-fund --loglevel=error && "$npm" run --silent build) 2>&1 | sed -u 's/^/       /'
  [ -f "$bp_dir/dist/cli-bundle.mjs" ] || { echo " !     Building the buildpack failed (see above)." >&2; return 1; }
}

# At dyno start (launchers, space proxy): the node on PATH, else the one the heroku/nodejs
# buildpack put into the slug. No version probe here: it would cost a Node start per dyno start.
runtime_node() {
  NODE="$(command -v node || true)"
  [ -n "$NODE" ] || NODE="$HOME/.heroku/node/bin/node"
  [ -x "$NODE" ] && return 0
  echo " !     $1: Node.js is not on PATH (add the heroku/nodejs buildpack)." >&2
  return 1
}
