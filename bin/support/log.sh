# Sourced by bin/support scripts: log_line LOGGER PREFIX MESSAGE... writes one line to stderr in the
# format SPARK_LOG_FORMAT asks for, as src/log/index.ts does for Node: text (`PREFIX: MESSAGE`) or
# json, one object with Spark 4's structured-logging keys (ts, level, msg, logger).
# shellcheck shell=bash
log_line() {
  local logger="$1" prefix="$2"
  shift 2
  local msg="$*" level=INFO
  case "$msg" in WARNING:* | WARN:*) level=WARN ;; ERROR:*) level=ERROR ;; esac
  if [ "${SPARK_LOG_FORMAT:-text}" != json ] && [ "${SPARK_LOG_FORMAT:-text}" != JSON ]; then
    echo "$prefix: $msg" >&2
    return 0
  fi
  # JSON string escapes: backslash and quote first, then the control characters a message may hold
  msg="${msg//\\/\\\\}"
  msg="${msg//\"/\\\"}"
  msg="${msg//$'\n'/\\n}"
  msg="${msg//$'\r'/\\r}"
  msg="${msg//$'\t'/\\t}"
  msg="${msg//[$'\001'-$'\037']/ }"
  local ts
  ts="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
  printf '{"ts":"%s","level":"%s","msg":"%s","logger":"%s"}\n' "$ts" "$level" "$msg" "$logger" >&2
}
