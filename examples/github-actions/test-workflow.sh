#!/usr/bin/env bash
# Runs the commands of roomsync.yml, in order, against a served sandbox on a loopback port: what a pull request,
# a merge and a nightly run would do. GitHub-only steps (checkout, gh) are replaced by checks of their inputs.
# With ROOMSYNC_STATE set to a postgres:// URL (the test suite starts a throwaway server) the state lives there,
# as in the workflow; without it, in the state file.
# Usage: test-workflow.sh PATH/TO/roomsync     (exit 0 when every step behaved as the workflow expects)
set -euo pipefail
roomsync=$(readlink -f "$1")
work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() { echo "test-workflow: $*" >&2; exit 1; }

"$roomsync" sandbox serve --port 0 --data :memory: > server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    grep -q '^listening on ' server.log 2>/dev/null && break
    sleep 0.05
done
endpoint=$(sed -n 's/^listening on //p' server.log | head -1)
[ -n "$endpoint" ] || fail "the sandbox did not start: $(cat server.log)"
case "$endpoint" in http://127.0.0.1:*) ;; *) fail "sandbox not on loopback: $endpoint" ;; esac

export CI=true NO_COLOR=1 WECOM_ENDPOINT="$endpoint" WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
mkdir rooms
cat > rooms/shenzhen.yaml <<'YAML'
version: 1
defaults: {city: 深圳, building: 腾讯大厦, coordinate: {latitude: "22.540503", longitude: "113.934528"}}
rooms:
  sz-18f-large: {name: 18F-会议室, capacity: 10, floor: 18F, equipment: [tv, phone]}
  sz-19f-small: {name: 19F-小会议室, capacity: 4, floor: 19F}
YAML

state_rooms() { "$roomsync" state pull | python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }

# Pull request: validate, plan as Markdown (saved too), waiting for an apply that holds the state.
"$roomsync" validate rooms/ || fail "validate failed"
"$roomsync" plan rooms/ --format markdown --out plan.json --lock-timeout 600 > plan.md || fail "plan failed"
grep -q '^### roomsync plan' plan.md || fail "plan.md is not the Markdown report"
grep -q 'Plan: 2 to add, 0 to change, 0 to delete, 0 to adopt.' plan.md || fail "plan.md lacks the summary"
[ "$(wc -c < plan.md)" -lt 60000 ] || fail "plan.md is too long for a comment"

# Merge: apply under the state's lock, then what changed.
"$roomsync" apply rooms/ --auto-approve --lock-timeout 900 > apply.log || fail "apply failed: $(cat apply.log)"
grep -q 'Apply complete: 2 added' apply.log || fail "apply did not add the rooms: $(cat apply.log)"
state_rooms 'sys.exit(0 if len(s["rooms"])==2 else 1)' || fail "state does not map both rooms"
if [ -n "${ROOMSYNC_STATE:-}" ]; then
    [ ! -e .roomsync/state.json ] || fail "with ROOMSYNC_STATE set, a state file was written too"
fi
"$roomsync" state history --limit 50 > history.txt || fail "state history failed"
grep -q 'sz-18f-large' history.txt || fail "the history does not name the added room: $(cat history.txt)"

# Nightly, nothing changed: drift exits 0.
"$roomsync" drift --format markdown > drift.md || fail "drift reported drift on a clean apply"

# Someone edits a room in the console: drift exits 2 and the report names the room (the job opens an issue).
id=$(state_rooms 'print(s["rooms"]["sz-19f-small"]["meetingroom_id"])')
token=$(curl -s "$endpoint/cgi-bin/gettoken?corpid=ww-sandbox&corpsecret=sandbox-secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s -X POST "$endpoint/cgi-bin/oa/meetingroom/edit?access_token=$token" -d "{\"meetingroom_id\":$id,\"capacity\":40}" > /dev/null
set +e
"$roomsync" drift --format markdown > drift.md
code=$?
set -e
[ "$code" -eq 2 ] || fail "drift exit code $code, expected 2"
grep -q 'sz-19f-small' drift.md || fail "drift.md does not name the changed room"

# A pull request plan against a missing secret must fail, never fall back to a sandbox.
if env -u WECOM_CORP_SECRET "$roomsync" plan rooms/ > /dev/null 2> nosecret.log; then fail "plan succeeded without a secret"; fi
grep -q 'error:' nosecret.log || fail "no clear error without a secret"

echo "test-workflow: ok"
