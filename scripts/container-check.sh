#!/usr/bin/env bash
# Builds the image from the Dockerfile and runs compose.yaml for real: PostgreSQL and two bot
# replicas starting together on a new database, then checks, from outside the containers, what an
# operator relies on. Needs a Docker engine and `docker compose` (or docker-compose). Prints what
# it measured; exits non-zero at the first thing that does not hold. Leaves nothing behind.
#
#   scripts/container-check.sh
#   PYTHON_IMAGE=local/python:3.11-bookworm POSTGRES_IMAGE=local/postgres:15-bookworm \
#     scripts/container-check.sh        # with the stand-ins of scripts/offline-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null; then compose=(docker-compose)
else echo "container-check: needs docker compose or docker-compose" >&2; exit 2; fi
docker info >/dev/null 2>&1 || { echo "container-check: no Docker engine answers" >&2; exit 2; }

project="credits-check-$$"
env_file=$(mktemp)
token="check-$RANDOM$RANDOM"
tenant="tenant-container-check"
cat >"$env_file" <<EOF
MicrosoftAppId=00000000-0000-0000-0000-00000000c4ec
MicrosoftAppPassword=not-a-real-secret
CREDITS_USAGE_TOKEN=$token
CREDITS_RECHARGE_INTERVAL_SECONDS=1
EOF
export CREDITS_ENV_FILE="$env_file" CREDITS_PORTS="${CREDITS_PORTS:-39780-39781}"
export CREDITS_IMAGE="credits-bot:$project"
image=$CREDITS_IMAGE
dc() { "${compose[@]}" -p "$project" "$@"; }
cleanup() {
  status=$?
  if [ "$status" -ne 0 ]; then echo "--- logs"; dc logs --no-color --tail 40 || true; fi
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  docker image rm "$image" >/dev/null 2>&1 || true
  rm -f "$env_file"
  exit "$status"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

start=$(date +%s)
dc build --quiet bot >/dev/null
docker image inspect "$image" >/dev/null || fail "the built image is not tagged $image"
ok "image $image built in $(($(date +%s) - start)) s, $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"

user=$(docker image inspect -f '{{.Config.User}}' "$image")
uid=$(docker run --rm --entrypoint id "$image" -u)
[ "$uid" != 0 ] || fail "the image runs as root"
ok "runs as user $user (uid $uid)"
entry=$(docker image inspect -f '{{json .Config.Entrypoint}}' "$image")
[ "$entry" = '["credits-bot"]' ] || fail "entry point is $entry"
ok "entry point $entry; $(docker run --rm "$image" --help | head -1)"
docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$image" | grep -q healthz \
  || fail "no health check on /healthz"

# an exposed bot without authentication is refused, and says why
if out=$(docker run --rm "$image" serve --host 0.0.0.0 2>&1); then fail "serve without an app id started"; fi
echo "$out" | grep -qi "MicrosoftAppId" || fail "refusal does not name MicrosoftAppId: $out"
ok "without MicrosoftAppId, serve on 0.0.0.0 refuses: $(echo "$out" | tail -1 | cut -c1-90)"

start=$(date +%s)
dc up -d --scale bot=2 >/dev/null 2>&1 || { dc up -d --scale bot=2; fail "compose up"; }
bots=$(dc ps -q bot)
[ "$(echo "$bots" | wc -l)" = 2 ] || fail "expected 2 bot containers"
for _ in $(seq 120); do
  states=$(for c in $bots; do docker inspect -f '{{.State.Health.Status}}' "$c"; done | sort -u)
  [ "$states" = healthy ] && break
  echo "$states" | grep -q unhealthy && fail "a replica is unhealthy"
  sleep 1
done
[ "$states" = healthy ] || fail "replicas not healthy after 120 s: $states"
ok "db and 2 replicas up on a new database, both healthy (Docker health check) in $(($(date +%s) - start)) s"

ports=()
for i in 1 2; do ports+=("$(dc port --index="$i" bot 3978 | awk -F: '{print $NF}')"); done
for port in "${ports[@]}"; do
  url="http://127.0.0.1:$port"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "$url/healthz"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] || fail "$url/readyz"
  curl -s "$url/metrics" | grep -q '^credits_alert_outbox_backlog' || fail "$url/metrics"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"type":"message","text":"balance"}' "$url/api/messages")
  [ "$code" = 401 ] || fail "unauthenticated /api/messages answered $code"
done
ok "on ports ${ports[*]}: /healthz 200, /readyz 200, /metrics, unauthenticated /api/messages 401"

bot() { dc exec -T --index=1 bot credits-bot "$@"; }
bot add-funds --tenant "$tenant" --amount 30 --key container-check >/dev/null
bot auto-recharge --tenant "$tenant" on --amount 100 --below 20 >/dev/null
ok "add-funds 30 and auto-recharge 100 below 20 through the CLI in replica 1"

usage='[{"id": "call-1", "tenantId": "'$tenant'", "startDateTime": "2026-11-24T09:00:00Z",
 "duration": 600, "charge": 15, "currency": "USD", "callType": "ucap_out"}]'
for port in "${ports[@]}"; do  # the same record to both replicas: applied once
  curl -s "http://127.0.0.1:$port/api/usage" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$usage" | tr -d '\n' | cut -c1-120
  echo
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[0]}/api/usage" \
  -H 'Authorization: Bearer wrong' -H 'Content-Type: application/json' -d "$usage")
[ "$code" = 401 ] || fail "wrong usage token answered $code"

for _ in $(seq 60); do
  balance=$(bot balance --tenant "$tenant")
  echo "$balance" | grep -q '115\.00' && break
  sleep 1
done
echo "$balance" | grep -q '115\.00' || fail "no recharge to \$115.00: $balance"
history=$(bot history --tenant "$tenant")
recharges=$(echo "$history" | grep -ci 'recharge' || true)
[ "$recharges" = 1 ] || fail "expected one recharge in the history, found $recharges: $history"
bot verify --tenant "$tenant" >/dev/null || fail "verify"
ok "usage \$15 posted to both replicas: applied once, one auto-recharge, balance \$115.00, verify ok"

dc restart bot >/dev/null 2>&1
for _ in $(seq 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[0]}/readyz")" = 200 ] && break
  sleep 1
done
bot balance --tenant "$tenant" | grep -q '115\.00' || fail "balance lost over a restart"
ok "after a restart of the replicas the balance is still \$115.00"
echo "container check passed"
