#!/usr/bin/env bash
# The identity demo (bin/vnsnap demo-federation): build a local GENI federation with bin/vnsnap-certs, issue
# every kind of credential, and verify each one (and that a wrong caller is refused). Exit 0 only when
# every check passed. Usage: demo-federation.sh [--json FILE] [--keep DIR]
set -euo pipefail
. "$(dirname "$0")/common.sh"

json="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json="${2:?--json needs a file}"; shift 2 ;;
    --keep) keep="${2:?--keep needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# //'; exit 0 ;;
    *) vnsnap_die "demo: unknown option $1 (try --help)" ;;
  esac
done

vnsnap_ensure_toolchain
vnsnap_ensure_packages openssl
vnsnap_ensure_built certs

if [ -n "$keep" ]; then work="$keep"; mkdir -p "$work"; else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT INT TERM
fi
fed="$work/federation"
certs() { "$VNSNAP_ROOT/bin/vnsnap-certs" "$@"; }
pass=0 fail=0 results=()
check() { # check NAME EXPECTED-STATUS COMMAND...
  local name="$1" want="$2"; shift 2
  local got=0
  "$@" >"$work/last.out" 2>&1 || got=$?
  if [ "$got" = "$want" ]; then pass=$((pass+1)); results+=("{\"check\":\"$name\",\"passed\":true}"); printf '  ok    %s\n' "$name"
  else fail=$((fail+1)); results+=("{\"check\":\"$name\",\"passed\":false}"); printf '  FAIL  %s (exit %s, wanted %s)\n' "$name" "$got" "$want"; sed 's/^/        /' "$work/last.out"; fi
}

echo "[1/4] creating a local federation in $fed"
certs init-ca --dir "$fed" --authority "vnsnap//demo" >/dev/null
certs issue-user --dir "$fed" --name alice --email alice@example.org >/dev/null
certs issue-user --dir "$fed" --name bob >/dev/null
certs issue-user --dir "$fed" --name tool >/dev/null
certs init-am --dir "$fed" --name am --host localhost --host 127.0.0.1 >/dev/null
echo "[2/4] issuing credentials"
certs issue-slice-credential --dir "$fed" --user alice --slice demo --days 7 >/dev/null
slicecred="$fed/slices/demo/alice-cred.xml"
certs delegate --credential "$slicecred" --cert "$fed/users/alice/cert.pem" --key "$fed/users/alice/key.pem" \
  --to "$fed/users/bob/cert.pem" --privileges info,control --out "$work/bob-cred.xml" 2>/dev/null
certs speaks-for --user-cert "$fed/users/alice/cert.pem" --user-key "$fed/users/alice/key.pem" \
  --tool-cert "$fed/users/tool/cert.pem" --days 1 --out "$work/speaks-for.xml" 2>/dev/null
slice="urn:publicid:IDN+vnsnap:demo+slice+demo"
alice="urn:publicid:IDN+vnsnap:demo+user+alice"
roots="$fed/trusted-roots"
echo "[3/4] verifying"
check "slice credential valid for alice" 0 certs verify --roots "$roots" --credential "$slicecred" \
  --caller-cert "$fed/users/alice/cert.pem" --target "$slice" --operation createsliver
check "slice credential refused for bob" 1 certs verify --roots "$roots" --credential "$slicecred" \
  --caller-cert "$fed/users/bob/cert.pem" --target "$slice"
check "delegated credential valid for bob" 0 certs verify --roots "$roots" --credential "$work/bob-cred.xml" \
  --caller-cert "$fed/users/bob/cert.pem" --target "$slice" --operation getsliceresources
check "delegation grants no shutdown" 1 certs verify --roots "$roots" --credential "$work/bob-cred.xml" \
  --caller-cert "$fed/users/bob/cert.pem" --target "$slice" --operation shutdown
check "user credential valid" 0 certs verify --roots "$roots" --credential "$fed/users/alice/user-cred.xml" \
  --caller-cert "$fed/users/alice/cert.pem"
check "speaks-for valid for the tool" 0 certs verify --roots "$roots" --credential "$work/speaks-for.xml" \
  --caller-cert "$fed/users/tool/cert.pem" --speaking-for "$alice"
check "slice credential expired after 7 days" 1 certs verify --roots "$roots" --credential "$slicecred" \
  --at "$(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ)"
sed 's/slice+demo</slice+dem0</' "$slicecred" > "$work/tampered.xml"
check "tampered credential refused" 1 certs verify --roots "$roots" --credential "$work/tampered.xml"
check "AM certificate readable" 0 certs show "$fed/am/am/cert.pem"

echo "[4/4] report"
echo "  federation   $(certs show "$fed/authority/cert.pem" | head -1 | cut -d' ' -f2)"
echo "  checks       $pass passed, $fail failed"
if [ -n "$json" ]; then
  { printf '{"demo":"federation","passed":%s,"failed":%s,"checks":[' "$pass" "$fail"
    (IFS=,; printf '%s' "${results[*]}"); printf ']}\n'; } > "$json"
  echo "  report       $json"
fi
[ "$fail" = 0 ]
