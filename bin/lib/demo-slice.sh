#!/usr/bin/env bash
# The main job: the slice demo (docs/demo.md). Installs what is missing, builds, starts an AM and two host agents with
# QEMU guests on this machine, then as an experimenter over the AM API: allocate a three-VM slice, start it and a
# workload, take a live slice snapshot, run on, restore, check the workload resumed consistently, delete; report.
# Usage: bin/vnsnap demo [--json FILE] [--keep DIR] [--run-on SECONDS] [--mode live|cow|stop]
# Exit status 0 only when every check passed. Ctrl-C stops everything it started and removes its files.
set -euo pipefail
. "$(dirname "$0")/common.sh"

json="" keep="" run_on="" mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json="${2:?--json needs a file}"; shift 2 ;;
    --keep) keep="${2:?--keep needs a directory}"; shift 2 ;;
    --run-on) run_on="${2:?--run-on needs seconds}"; shift 2 ;;
    --mode) mode="${2:?--mode needs live, cow or stop}"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# //'; exit 0 ;;
    *) vnsnap_die "demo: unknown option $1 (try --help)" ;;
  esac
done
[ -z "$run_on" ] || [[ "$run_on" =~ ^[0-9]+$ ]] || vnsnap_die "demo: --run-on needs whole seconds, not '$run_on'"
case "$mode" in ""|live|cow|stop) ;; *) vnsnap_die "demo: --mode must be live, cow or stop, not '$mode'" ;; esac
if [ -n "$json" ]; then json="$(cd "$(dirname "$json")" 2>/dev/null && pwd)/$(basename "$json")" || vnsnap_die "demo: the directory of $json does not exist"; fi

echo "[setup] installing what is missing (JDK 17, Maven, QEMU 10, guest build tools)"
vnsnap_ensure_toolchain
vnsnap_ensure_packages libxml2-utils openssl xmlsec1
"$VNSNAP_ROOT/bin/lib/install-qemu.sh" || vnsnap_die "QEMU installation failed"

echo "[setup] building the test guest"
"$VNSNAP_ROOT/xen-host/guest/build-guest.sh" "$VNSNAP_ROOT/.vnsnap/guest" || vnsnap_die "the guest build failed"

# Build the whole project (mvn install -DskipTests) when a source or POM is newer than the last build.
# VNSNAP_MAVEN_ARGS passes extra Maven options (e.g. "-o -Dmaven.repo.local=DIR").
stamp="$VNSNAP_ROOT/geni-tests/target/lib/.vnsnap-demo-built"
if [ ! -f "$stamp" ] || [ -n "$(cd "$VNSNAP_ROOT" && find pom.xml ./*/pom.xml ./*/src/main -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "[setup] building vnsnap (mvn install -DskipTests)"
  log="$(mktemp)"
  # shellcheck disable=SC2086
  if ! (cd "$VNSNAP_ROOT" && mvn ${VNSNAP_MAVEN_ARGS:-} -q -B -Dstyle.color=never -DskipTests install) >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; vnsnap_die "the build failed"
  fi
  rm -f "$log"
  touch "$stamp"
fi

if [ -n "$keep" ]; then mkdir -p "$keep"; work="$(cd "$keep" && pwd)"; else work="$(mktemp -d /tmp/vnsnap-demo.XXXXXX)"; fi
java_pid=""
cleanup() {
  local status=$?
  trap - INT TERM EXIT
  if [ -n "$java_pid" ] && kill -0 "$java_pid" 2>/dev/null; then
    # The demo's shutdown hook deletes the slice, stops the AM and the host agents (they destroy their VMs).
    kill -TERM "$java_pid" 2>/dev/null || true
    wait "$java_pid" 2>/dev/null || true
  fi
  # Anything still running from this run's directory (e.g. a QEMU whose host agent was killed first).
  local p
  for p in $(pgrep -f -- "$work" 2>/dev/null || true); do
    [ "$p" = $$ ] || kill -KILL "$p" 2>/dev/null || true
  done
  [ -n "$keep" ] || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "[vnsnap] interrupted: cleaning up"; exit 130' INT TERM

args=(--work "$work")
[ -z "$json" ] || args+=(--json "$json")
[ -z "$keep" ] || args+=(--keep)
[ -z "$run_on" ] || args+=(--run-on "$run_on")
[ -z "$mode" ] || args+=(--mode "$mode")
cp="$VNSNAP_ROOT/geni-tests/target/classes:$VNSNAP_ROOT/geni-tests/target/lib/*"
# In the background and waited for, so the INT/TERM trap runs at once while the demo runs.
java ${VNSNAP_JAVA_OPTS:-} -Dvnsnap.root="$VNSNAP_ROOT" -cp "$cp" net.vnsnap.geni.demo.SliceDemo "${args[@]}" &
java_pid=$!
status=0
wait "$java_pid" || status=$?
java_pid=""
exit "$status"
