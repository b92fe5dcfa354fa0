#!/usr/bin/env bash
# Runs the jobs of roomsync.yml — their `run` steps exactly as written, with the shell GitHub would use
# (run-job.py) — against a served sandbox on a loopback port: what a pull request, a merge and nightly runs do.
# GitHub-only parts are stood in for: the release download by a tarball of the given roomsync with its checksum in
# a local folder (the workflow's ROOMSYNC_DOWNLOAD and ROOMSYNC_SHA256 changed as its user would), `gh` by a
# script that keeps pull-request comments and issues in files, and actions/cache by the job's $HOME, which
# outlives the job here.
# With ROOMSYNC_STATE set to a postgres:// URL (the test suite starts a throwaway server) the state lives there,
# as in the workflow; without it, in the state file.
# Usage: test-workflow.sh PATH/TO/roomsync     (exit 0 when every job behaved as the workflow expects)
# Needs python3 with PyYAML (set PYTHON to pick the interpreter), curl and tar.
set -euo pipefail
roomsync=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
workflow="$here/roomsync.yml"
python=${PYTHON:-python3}
work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() { echo "test-workflow: $*" >&2; exit 1; }
"$python" -c 'import yaml' 2>/dev/null || fail "$python has no PyYAML"

# No job builds roomsync: every one installs the pinned release.
! grep -q 'swift build' "$workflow" || fail "a job builds roomsync from source"
version=$("$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["env"]["ROOMSYNC_VERSION"])' "$workflow")

# The release, as scripts/package.sh lays it out, in a folder standing in for the release downloads.
name="roomsync-$version-linux-x86_64"
mkdir -p "releases/v$version" "package/$name"
cp "$roomsync" "package/$name/roomsync"
tar -czf "releases/v$version/$name.tar.gz" -C package "$name"
(cd "releases/v$version" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
sha=$(cut -d' ' -f1 "releases/v$version/$name.tar.gz.sha256")
release=(ROOMSYNC_DOWNLOAD="file://$work/releases" ROOMSYNC_SHA256="$sha")
# Without a database, the workflow as its header says for a committed state file: ROOMSYNC_STATE and
# ROOMSYNC_WORKSPACE dropped (a workspace belongs to a postgres state; with a file it is an error).
if [ -z "${ROOMSYNC_STATE:-}" ]; then release+=(-ROOMSYNC_STATE -ROOMSYNC_WORKSPACE); fi

"$roomsync" sandbox serve --port 0 --data :memory: > server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    grep -q '^listening on ' server.log 2>/dev/null && break
    sleep 0.05
done
endpoint=$(sed -n 's/^listening on //p' server.log | head -1)
[ -n "$endpoint" ] || fail "the sandbox did not start: $(cat server.log)"
case "$endpoint" in http://127.0.0.1:*) ;; *) fail "sandbox not on loopback: $endpoint" ;; esac

# `gh`: pull-request comments and issues kept as files under gh/.
mkdir -p gh/issues stubs
cat > stubs/gh <<STUB
#!/usr/bin/env bash
set -euo pipefail
[ -n "\${GH_TOKEN:-}" ] || { echo "gh: GH_TOKEN is not set" >&2; exit 4; }
store="$work/gh"
echo "\$*" >> "\$store/calls"
option() { local want=\$1; shift; while [ \$# -gt 0 ]; do [ "\$1" = "\$want" ] && { echo "\$2"; return; }; shift; done; }
case "\$1 \$2" in
    "pr comment")
        if [[ " \$* " == *" --edit-last "* ]]; then [ -f "\$store/pr-\$3" ] || exit 1; fi
        cp "\$(option --body-file "\$@")" "\$store/pr-\$3" ;;
    "label create") touch "\$store/label-\$3" ;;
    "issue list")
        label=\$(option --label "\$@")
        for issue in \$(ls "\$store/issues" | sort -n); do
            if [ "\$(cat "\$store/issues/\$issue/state")" = open ] && grep -qx "\$label" "\$store/issues/\$issue/labels"; then
                echo "\$issue"; break
            fi
        done ;;
    "issue create")
        label=\$(option --label "\$@")
        [ -z "\$label" ] || [ -f "\$store/label-\$label" ] || { echo "could not add label: '\$label' not found" >&2; exit 1; }
        issue=\$((\$(ls "\$store/issues" | wc -l) + 1))
        mkdir "\$store/issues/\$issue"
        echo open > "\$store/issues/\$issue/state"
        echo "\$label" > "\$store/issues/\$issue/labels"
        option --title "\$@" > "\$store/issues/\$issue/title"
        cp "\$(option --body-file "\$@")" "\$store/issues/\$issue/body" ;;
    "issue edit") cp "\$(option --body-file "\$@")" "\$store/issues/\$3/body" ;;
    "issue close") echo closed > "\$store/issues/\$3/state" ;;
    *) echo "gh stub: unexpected \$*" >&2; exit 2 ;;
esac
STUB
chmod +x stubs/gh
export PATH="$work/stubs:$PATH"

export NO_COLOR=1 WECOM_ENDPOINT="$endpoint" WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
# The workflow maps the secret ROOMSYNC_STATE_URL to ROOMSYNC_STATE; without a database, a state file stands in.
export ROOMSYNC_STATE_URL="${ROOMSYNC_STATE:-.roomsync/state.json}"
export HOME="$work/home" RUNNER_TEMP="$work/runner-temp"
mkdir -p "$HOME" "$RUNNER_TEMP" checkout/rooms
cat > checkout/rooms/shenzhen.yaml <<'YAML'
version: 1
defaults: {city: 深圳, building: 腾讯大厦, coordinate: {latitude: "22.540503", longitude: "113.934528"}}
rooms:
  sz-18f-large: {name: 18F-会议室, capacity: 10, floor: 18F, equipment: [tv, phone]}
  sz-19f-small: {name: 19F-小会议室, capacity: 4, floor: 19F}
YAML

# run_job JOB EVENT [ENV EDITS...]: one job in the checkout, its summary left in summary.md; its status returned.
run_job() {
    local job=$1 event=$2; shift 2
    : > "$work/summary.md"
    (cd "$work/checkout" && GITHUB_STEP_SUMMARY="$work/summary.md" "$python" "$here/run-job.py" "$workflow" "$job" "$event" "$@")
}
state_rooms() {
    local workspace=()
    [ -z "${ROOMSYNC_STATE:-}" ] || workspace=(--workspace production)
    (cd checkout && "$roomsync" state pull --state "$ROOMSYNC_STATE_URL" "${workspace[@]}") | "$python" -c "import json,sys; s=json.load(sys.stdin); $1"
}
wecom() {
    local token
    token=$(curl -s "$endpoint/cgi-bin/gettoken?corpid=ww-sandbox&corpsecret=sandbox-secret" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s -X POST "$endpoint/cgi-bin/oa/meetingroom/$1?access_token=$token" -d "$2"
}

# A release whose checksum is not the pinned one is refused, and nothing is installed.
if run_job plan pull_request ROOMSYNC_DOWNLOAD="file://$work/releases" ROOMSYNC_SHA256="${sha//?/0}" > badsum.log 2>&1; then
    fail "the plan job ran with a tarball that does not match the pinned checksum: $(cat badsum.log)"
fi
grep -q 'FAILED' badsum.log || fail "no checksum failure: $(cat badsum.log)"
[ ! -e "$HOME/.cache/roomsync/$version/roomsync" ] || fail "a tarball with the wrong checksum was installed"

# Pull request: the release is installed (and cached for the next jobs), validate, plan, the plan posted.
run_job plan pull_request "${release[@]}" > plan.log 2>&1 || fail "the plan job failed: $(cat plan.log)"
grep -q "OK" plan.log || fail "the install did not check the checksum: $(cat plan.log)"
[ -x "$HOME/.cache/roomsync/$version/roomsync" ] || fail "the release was not installed in the cached folder"
grep -q '^### roomsync plan' checkout/plan.md || fail "plan.md is not the Markdown report"
grep -q 'Plan: 2 to add, 0 to change, 0 to delete, 0 to adopt.' checkout/plan.md || fail "plan.md lacks the summary"
[ "$(wc -c < checkout/plan.md)" -lt 60000 ] || fail "plan.md is too long for a comment"
cmp -s gh/pr-7 checkout/plan.md || fail "the plan was not posted on the pull request: $(cat gh/calls 2>/dev/null)"

# Later jobs take roomsync from the cache: with the download gone they still run.
mv releases releases.gone

# Merge: apply under the state's lock; the summary has the apply's output and the history, fenced.
run_job apply push "${release[@]}" > apply.log 2>&1 || fail "the apply job failed: $(cat apply.log)"
grep -q 'Apply complete: 2 added' summary.md || fail "the summary lacks the apply: $(cat summary.md)"
grep -q 'sz-18f-large' summary.md || fail "the summary lacks the history: $(cat summary.md)"
[ "$(grep -c '^```' summary.md)" -eq 4 ] || fail "the summary's text is not in two fenced blocks: $(cat summary.md)"
state_rooms 'sys.exit(0 if len(s["rooms"])==2 else 1)' || fail "state does not map both rooms"
if [ -n "${ROOMSYNC_STATE:-}" ]; then
    [ ! -e checkout/.roomsync/state.json ] || fail "with ROOMSYNC_STATE set, a state file was written too"
fi

# A failing apply fails the job, although its output goes through `tee`, and its error is in the summary.
echo "  sz-20f-broken: {name: 20F, capacity: 0, floor: 20F}" >> checkout/rooms/shenzhen.yaml
if run_job apply push "${release[@]}" > apply-fail.log 2>&1; then
    fail "the apply job passed although apply failed: $(cat apply-fail.log)"
fi
grep -q 'run-job: Apply: exit 1' apply-fail.log || fail "the Apply step did not fail: $(cat apply-fail.log)"
grep -q 'error' summary.md || fail "the failed apply's error is not in the summary: $(cat summary.md)"
sed -i '/sz-20f-broken/d' checkout/rooms/shenzhen.yaml

# Nightly, nothing changed: drift passes and opens no issue.
run_job drift schedule "${release[@]}" > drift.log 2>&1 || fail "drift failed on a clean apply: $(cat drift.log)"
[ -z "$(ls gh/issues)" ] || fail "an issue was opened without drift"

# Someone adds a room in the console: the night reports it in a new issue; the next night updates that issue.
wecom add '{"name":"Console-Room","capacity":6,"city":"深圳","building":"腾讯大厦","floor":"20F"}' > added.json
run_job drift schedule "${release[@]}" > drift.log 2>&1 || fail "the drift job failed on drift: $(cat drift.log)"
[ "$(ls gh/issues)" = 1 ] || fail "drift did not open one issue: $(ls gh/issues)"
grep -q 'Console-Room' gh/issues/1/body || fail "the issue does not name the console room: $(cat gh/issues/1/body)"
wecom edit "{\"meetingroom_id\":$(state_rooms 'print(s["rooms"]["sz-19f-small"]["meetingroom_id"])'),\"capacity\":40}" > /dev/null
run_job drift schedule "${release[@]}" > drift.log 2>&1 || fail "the drift job failed on drift: $(cat drift.log)"
[ "$(ls gh/issues)" = 1 ] || fail "a second night opened another issue: $(ls gh/issues)"
grep -q 'sz-19f-small' gh/issues/1/body || fail "the issue was not updated with tonight's drift: $(cat gh/issues/1/body)"
[ "$(cat gh/issues/1/state)" = open ] || fail "the drift issue was closed while drift remains"

# Once the rooms match again, the next night closes the issue.
wecom del "{\"meetingroom_id\":$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["meetingroom_id"])' added.json)}" > /dev/null
wecom edit "{\"meetingroom_id\":$(state_rooms 'print(s["rooms"]["sz-19f-small"]["meetingroom_id"])'),\"capacity\":4}" > /dev/null
run_job drift schedule "${release[@]}" > drift.log 2>&1 || fail "drift failed once the rooms matched: $(cat drift.log)"
[ "$(cat gh/issues/1/state)" = closed ] || fail "the drift issue stayed open with no drift: $(cat drift.log)"

# A pull request plan without the secret fails with one clear error, and never falls back to a sandbox.
if env -u WECOM_CORP_SECRET bash -c 'cd checkout && "$0" plan rooms/' "$roomsync" > /dev/null 2> nosecret.log; then
    fail "plan succeeded without a secret"
fi
grep -q 'error:' nosecret.log || fail "no clear error without a secret"

echo "test-workflow: ok"
