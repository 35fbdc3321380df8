#!/usr/bin/env bash
# deploy/local-cluster.sh end to end: PostgreSQL, two instances, nginx in
# front. A signed webhook through nginx is answered (the request target
# reaches smscoach unchanged, so the signature holds); a forged one is 403;
# the same MessageSid sent straight to either instance gets the first answer
# back (one shared store); stop leaves nothing running.
#   local_cluster_test.sh SMSCOACH_BINARY
set -euo pipefail
bin="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
token=cluster-test-token
run="$(mktemp -d /tmp/smscoach-cluster-XXXXXX)"
export SMSCOACH_CLUSTER_DIR="$run/run" SMSCOACH_CLUSTER_BIN="$bin"
# Ports away from the defaults, so a cluster someone left running is not ours,
# and below Linux's ephemeral range (32768-60999), where a client socket of
# a test running beside this one can hold a port for a moment.
export SMSCOACH_CLUSTER_PORT=18480 SMSCOACH_CLUSTER_PORT1=18481 SMSCOACH_CLUSTER_PORT2=18482
export SMSCOACH_CLUSTER_PG_PORT=18484
public="http://127.0.0.1:$SMSCOACH_CLUSTER_PORT"
cleanup() {
  bash "$root/deploy/local-cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$run"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$root/deploy/local-cluster.sh" start -- --twilio-auth-token "$token" --public-url "$public"

# Twilio's signature: base64(HMAC-SHA1(token, URL + each param name and value,
# sorted by name)). The values here need no URL encoding.
post() {  # PORT SID BODY [SIGNATURE]
  local port="$1" sid="$2" body="$3" sig="${4:-}"
  local from=%2B15557770001 to=%2B15550001111
  if [ -z "$sig" ]; then
    sig="$(printf '%s' "$public/sms/twilioBody${body}From+15557770001MessageSid${sid}To+15550001111" |
      openssl dgst -sha1 -hmac "$token" -binary | base64)"
  fi
  curl -s -w '\n%{http_code}' "http://127.0.0.1:$port/sms/twilio" -H "X-Twilio-Signature: $sig" \
    --data "Body=${body}&From=${from}&MessageSid=${sid}&To=${to}"
}

through_nginx="$(post "$SMSCOACH_CLUSTER_PORT" SMcluster1 hello)"
[ "$(tail -n1 <<<"$through_nginx")" = 200 ] || fail "signed text through nginx: $through_nginx"
grep -q '<Message>' <<<"$through_nginx" || fail "no reply through nginx: $through_nginx"

forged="$(post "$SMSCOACH_CLUSTER_PORT" SMcluster2 hello AAAAAAAAAAAAAAAAAAAAAAAAAAA=)"
[ "$(tail -n1 <<<"$forged")" = 403 ] || fail "forged signature through nginx: $forged"

for port in "$SMSCOACH_CLUSTER_PORT1" "$SMSCOACH_CLUSTER_PORT2"; do
  again="$(post "$port" SMcluster1 hello)"
  [ "$again" = "$through_nginx" ] || fail "instance $port answered a repeat differently: $again"
done

bash "$root/deploy/local-cluster.sh" stop
if bash "$root/deploy/local-cluster.sh" status >/dev/null 2>&1; then fail "still running after stop"; fi
echo "local cluster: ok"
