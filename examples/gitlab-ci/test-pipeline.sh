#!/usr/bin/env bash
# Runs the jobs of .gitlab-ci.yml — their `script` and `after_script` lines as written in the file — against a
# served sandbox on a loopback port: what a merge request, a merge to the default branch and a nightly schedule
# would do. GitLab-only parts are stood in for: the job's install (`before_script`) by the roomsync given here,
# the GitLab API call that posts the note by a `curl` that records it, and the state push by a local bare
# repository (git's `insteadOf`), which receives a real push.
# Usage: test-pipeline.sh PATH/TO/roomsync     (exit 0 when every job behaved as the pipeline expects)
# Needs python3 with PyYAML (set PYTHON to pick the interpreter), git and curl.
set -euo pipefail
roomsync=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
pipeline="$here/.gitlab-ci.yml"
python=${PYTHON:-python3}
work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test-pipeline: $*" >&2; exit 1; }
"$python" -c 'import yaml' 2>/dev/null || fail "$python has no PyYAML"

# The pipeline file, read once: each job's `script` and `after_script` as shell files (each line one command, as
# a runner runs them, stopping at the first failure), and the settings the checks below look at.
mkdir "$work/jobs"
"$python" - "$pipeline" "$work/jobs" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
out = sys.argv[2]
facts = []
for job, spec in doc.items():
    if not isinstance(spec, dict) or "script" not in spec:
        continue
    for section in ("script", "after_script"):
        with open(f"{out}/{job}-{section}.sh", "w") as f:
            f.write("set -eo pipefail\n")
            for line in spec.get(section, []):
                f.write(line.replace("\n", " ") + "\n")
    facts.append(f"{job}.rules=" + " ".join(rule.get("if", "") for rule in spec.get("rules", [])))
    facts.append(f"{job}.resource_group={spec.get('resource_group', '')}")
    exit_codes = (spec.get("allow_failure") or {}).get("exit_codes", []) if isinstance(spec.get("allow_failure"), dict) else []
    facts.append(f"{job}.allow_failure_exit_codes=" + " ".join(map(str, exit_codes)))
open(f"{out}/facts", "w").write("\n".join(facts) + "\n")
PY
fact() { sed -n "s/^$1=//p" "$work/jobs/facts"; }
for job in validate plan; do
    fact "$job.rules" | grep -q 'merge_request_event' || fail "$job does not run on merge requests"
done
fact apply.rules | grep -q 'CI_DEFAULT_BRANCH' || fail "apply does not run on the default branch"
fact drift.rules | grep -q 'schedule' || fail "drift does not run on a schedule"
[ "$(fact drift.allow_failure_exit_codes)" = "2" ] || fail "drift's exit 2 (new drift) is not allowed to fail"
apply_group=$(fact apply.resource_group); drift_group=$(fact drift.resource_group)
[ -n "$apply_group" ] || fail "apply has no resource_group"
[ "$apply_group" != "$drift_group" ] || fail "drift shares apply's resource_group"
grep -q -- '--notify' "$work/jobs/drift-script.sh" || fail "drift does not notify"

run_job() { bash "$work/jobs/$1-${2:-script}.sh"; }

cd "$work"
"$roomsync" sandbox serve --port 0 --data :memory: --webhook-log "$work/webhook.jsonl" > server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    grep -q '^listening on ' server.log 2>/dev/null && break
    sleep 0.05
done
endpoint=$(sed -n 's/^listening on //p' server.log | head -1)
[ -n "$endpoint" ] || fail "the sandbox did not start: $(cat server.log)"
case "$endpoint" in http://127.0.0.1:*) ;; *) fail "sandbox not on loopback: $endpoint" ;; esac

# The project checkout: a git repository whose origin is a local bare repository standing in for GitLab.
mkdir project stubs notes
git init -q --bare remote.git
export GIT_CONFIG_GLOBAL="$work/gitconfig" GIT_CONFIG_NOSYSTEM=1
export CI=true NO_COLOR=1 WECOM_ENDPOINT="$endpoint" WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
export CI_SERVER_HOST=gitlab.example.com CI_PROJECT_PATH=facilities/rooms CI_PROJECT_ID=42 CI_DEFAULT_BRANCH=main
export CI_API_V4_URL=https://gitlab.example.com/api/v4 ROOMSYNC_GITLAB_TOKEN=glpat-test-token-not-a-secret
export ROOMSYNC_WEBHOOK_URL="$endpoint/cgi-bin/webhook/send?key=robot-key-3f9a"
# The pipeline keeps its state in PostgreSQL: the caller gives a throwaway server's URL, and the pipeline's
# `variables:` map it to ROOMSYNC_STATE as GitLab would.
[ -n "${ROOMSYNC_STATE_URL:-}" ] || fail "set ROOMSYNC_STATE_URL to a PostgreSQL database (the test suite starts one)"
export ROOMSYNC_STATE="$ROOMSYNC_STATE_URL"
state_rooms() { roomsync state pull | "$python" -c "import json,sys; s=json.load(sys.stdin); $1"; }
git config --global url."file://$work/remote.git".insteadOf "https://roomsync:${ROOMSYNC_GITLAB_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"
git config --global init.defaultBranch main

# `curl` to the GitLab API records the note; anything else is the real curl.
cat > stubs/curl <<STUB
#!/usr/bin/env bash
for arg in "\$@"; do
    case "\$arg" in
        "$CI_API_V4_URL"/*) url=\$arg ;;
        body@*) body=\${arg#body@} ;;
    esac
done
if [ -n "\${url:-}" ]; then
    n=\$(ls "$work/notes" | wc -l)
    echo "\$url" > "$work/notes/\$n.url"
    cp "\$body" "$work/notes/\$n.md"
    echo '{"id": 1}'
    exit 0
fi
exec /usr/bin/curl "\$@"
STUB
chmod +x stubs/curl
export PATH="$work/stubs:$(dirname "$roomsync"):$PATH"

cd project
git init -q
mkdir rooms
cat > rooms/shenzhen.yaml <<'YAML'
version: 1
defaults: {city: 深圳, building: 腾讯大厦, coordinate: {latitude: "22.540503", longitude: "113.934528"}}
rooms:
  sz-18f-large: {name: 18F-会议室, capacity: 10, floor: 18F, equipment: [tv, phone]}
  sz-19f-small: {name: 19F-小会议室, capacity: 4, floor: 19F}
YAML
git add rooms && git -c user.name=dev -c user.email=dev@example.invalid commit -qm "rooms" && git push -q "file://$work/remote.git" HEAD:main

# Merge request: validate, then plan posted as a note.
export CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=7 CI_COMMIT_SHORT_SHA=abc1234
run_job validate > validate.log 2>&1 || fail "validate failed: $(cat validate.log)"
"$python" -c 'import json,sys; d=json.load(open("validate.json")); sys.exit(0 if d["valid"] and d["rooms"]==2 else 1)' || fail "validate.json: $(cat validate.json)"
run_job plan > plan.log 2>&1 || fail "plan failed: $(cat plan.log)"
[ -f "$work/notes/0.md" ] || fail "no note was posted"
[ "$(cat "$work/notes/0.url")" = "$CI_API_V4_URL/projects/42/merge_requests/7/notes" ] || fail "note posted to $(cat "$work/notes/0.url")"
grep -q 'Plan: 2 to add, 0 to change, 0 to delete, 0 to adopt.' "$work/notes/0.md" || fail "the note lacks the plan summary"
cmp -s "$work/notes/0.md" plan.md || fail "the note is not the plan"
[ ! -f .roomsync/state.json ] || fail "plan wrote a state"

# Merge to the default branch: apply the saved plan under the state's lock, notify, say what changed.
export CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=main
unset CI_MERGE_REQUEST_IID
rm -f plan.json plan.md
run_job apply > apply.log 2>&1 || fail "apply failed: $(cat apply.log)"
grep -q 'Apply complete: 2 added' apply.log || fail "apply did not add the rooms: $(cat apply.log)"
run_job apply after_script > history.log 2>&1 || fail "state history failed: $(cat history.log)"
grep -q 'sz-18f-large' history.log || fail "the history does not name the added room: $(cat history.log)"
state_rooms 'sys.exit(0 if len(s["rooms"])==2 else 1)' || fail "the state does not map both rooms"
[ ! -f .roomsync/state.json ] || fail "a state file was written beside the database's state"
grep -q 'roomsync apply complete' "$work/webhook.jsonl" || fail "apply did not notify: $(cat "$work/webhook.jsonl" 2>/dev/null)"

# Nightly, nothing changed: drift passes and posts nothing.
export CI_PIPELINE_SOURCE=schedule
unset CI_COMMIT_BRANCH
run_job drift > drift.log 2>&1 || fail "drift failed on a clean apply: $(cat drift.log)"
[ "$(wc -l < "$work/webhook.jsonl")" -eq 1 ] || fail "drift notified without drift"

# Someone edits a room in the console: drift exits 2 (a warning in GitLab) and posts the room to the chat.
id=$(state_rooms 'print(s["rooms"]["sz-19f-small"]["meetingroom_id"])')
token=$(/usr/bin/curl -s "$endpoint/cgi-bin/gettoken?corpid=ww-sandbox&corpsecret=sandbox-secret" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
/usr/bin/curl -s -X POST "$endpoint/cgi-bin/oa/meetingroom/edit?access_token=$token" -d "{\"meetingroom_id\":$id,\"capacity\":40}" > /dev/null
set +e
run_job drift > drift.log 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || fail "drift exit code $code, expected 2: $(cat drift.log)"
grep -q 'sz-19f-small' drift.md || fail "drift.md does not name the changed room"
[ "$(wc -l < "$work/webhook.jsonl")" -eq 2 ] || fail "drift did not notify"
tail -1 "$work/webhook.jsonl" | grep -q 'sz-19f-small' || fail "the drift message does not name the room"
! grep -rq "robot-key-3f9a" ./*.log || fail "the webhook key was printed"

echo "test-pipeline: ok"
