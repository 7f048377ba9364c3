# Shared shell helpers for the bin/ commands: locate the checkout, install what is missing, build, run Java.
# shellcheck shell=bash

VNSNAP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export VNSNAP_ROOT

vnsnap_log() { printf '[vnsnap] %s\n' "$*" >&2; }

vnsnap_die() { printf 'vnsnap: error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
vnsnap_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

_vnsnap_apt_updated=0
# Install the named Debian packages that are not installed yet (one apt-get update per run).
vnsnap_ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  vnsnap_log "installing Debian packages: ${missing[*]}"
  if [ "$_vnsnap_apt_updated" = 0 ]; then
    vnsnap_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _vnsnap_apt_updated=1
  fi
  vnsnap_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The JDK and Maven that build vnsnap.
vnsnap_ensure_toolchain() {
  command -v javac >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 && return 0
  vnsnap_ensure_packages openjdk-17-jdk-headless maven
}

# Build the named module (and what it depends on) when its classes are missing or older than its sources.
vnsnap_ensure_built() {
  local module="$1" stamp="$VNSNAP_ROOT/$1/target/lib/.vnsnap-built"
  if [ -f "$stamp" ] && [ -z "$(find "$VNSNAP_ROOT/$module/src/main" "$VNSNAP_ROOT/$module/pom.xml" "$VNSNAP_ROOT/pom.xml" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  vnsnap_ensure_toolchain
  vnsnap_log "building $module"
  local log; log="$(mktemp)"
  if ! (cd "$VNSNAP_ROOT" && mvn -q -B -Dstyle.color=never -DskipTests -pl "$module" -am package) >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; vnsnap_die "build of $module failed"
  fi
  rm -f "$log"
  mkdir -p "$VNSNAP_ROOT/$module/target/lib" && touch "$stamp"
}

# Run a main class from a built module: vnsnap_java MODULE CLASS ARGS...
vnsnap_java() {
  local module="$1" main="$2"; shift 2
  vnsnap_ensure_built "$module"
  local cp="$VNSNAP_ROOT/$module/target/classes:$VNSNAP_ROOT/$module/target/lib/*"
  exec java ${VNSNAP_JAVA_OPTS:-} -cp "$cp" "$main" "$@"
}
