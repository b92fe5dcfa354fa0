#!/usr/bin/env bash
# Runs the jobs of .gitlab-ci.yml — `before_script` and `script` in one shell, `after_script` in a shell of its own,
# every line as written in the file — against a served sandbox on a loopback port, as a runner would: what a merge
# request, a merge to the default branch and nightly schedules do. Each job sees the CI/CD variables the file's
# header documents, as GitLab would give them: protected ones only outside merge requests, masked ones only if
# GitLab could mask their value, the file's `variables:` expanded beneath them. GitLab-only parts are stood in
# for: the release download by a tarball of the given roomsync in a local folder (ROOMSYNC_DOWNLOAD and
# ROOMSYNC_SHA256 changed as the file's user would), the image's /usr/local/bin by a folder on PATH
# (ROOMSYNC_BIN_DIR), GitLab's API by a `curl` that keeps notes and issues in files, and the cache by the project
# folder, which outlives the job here.
# Usage: test-pipeline.sh PATH/TO/roomsync     (exit 0 when every job behaved as the pipeline expects)
# Needs python3 with PyYAML (set PYTHON to pick the interpreter), curl and tar; ROOMSYNC_STATE_URL set to a
# PostgreSQL database without a password (the test suite starts one).
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
[ -n "${ROOMSYNC_STATE_URL:-}" ] || fail "set ROOMSYNC_STATE_URL to a PostgreSQL database (the test suite starts one)"
state_url=$ROOMSYNC_STATE_URL
unset ROOMSYNC_STATE_URL ROOMSYNC_STATE WECOM_CORP_ID WECOM_CORP_SECRET WECOM_ENDPOINT ROOMSYNC_WEBHOOK_URL

! grep -q 'swift build' "$pipeline" || fail "a job builds roomsync from source"

# A runner for one job: the file read with its `extends`, the variables worked out, the scripts run.
cat > "$work/run-job.py" <<'PY'
import os, re, shlex, subprocess, sys, yaml
pipeline, job, section, project_file = sys.argv[1:5]
doc = yaml.safe_load(open(pipeline))
def resolve(name):
    spec = dict(doc[name])
    parent = spec.pop("extends", None)
    if parent is None:
        return spec
    merged = resolve(parent)
    merged.update(spec)
    return merged
spec = resolve(job)

# The CI/CD variables: the header's table says which are protected and masked; the test gives their values.
table = {}
for line in open(pipeline):
    m = re.match(r"#\s+([A-Z][A-Z0-9_]+)\s+(yes|no)\s+(yes|no)\s", line)
    if m:
        table[m.group(1)] = (m.group(2) == "yes", m.group(3) == "yes")
project = dict(line.rstrip("\n").split("=", 1) for line in open(project_file) if "=" in line)
merge_request = os.environ.get("CI_PIPELINE_SOURCE") == "merge_request_event"
env = dict(os.environ)
for name, value in project.items():
    protected, masked = table.get(name, (False, False))
    if name not in table and not name.startswith("TEST_OVERRIDE_"):
        sys.exit(f"run-job: {name} is not in the header's table of variables")
    if masked and not re.fullmatch(r"[A-Za-z0-9+/=@:.~_-]{8,}", value):
        sys.exit(f"run-job: {name} is documented as masked, but GitLab cannot mask its value {value!r}")
    if protected and merge_request:
        continue
    env[name.removeprefix("TEST_OVERRIDE_")] = value
# The file's variables lie beneath the project's, and are expanded with them.
expand = lambda value: re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), str(value))
for name, value in {**(doc.get("variables") or {}), **(spec.get("variables") or {})}.items():
    if name not in project and "TEST_OVERRIDE_" + name not in project:
        env[name] = expand(value)

lines = (spec.get("before_script", []) + spec["script"]) if section == "script" else spec.get("after_script", [])
script = os.path.join(os.path.dirname(project_file), f"{job}-{section}.sh")
with open(script, "w") as f:
    f.write("set -eo pipefail\n" + "\n".join(lines) + "\n")
sys.exit(subprocess.call(["bash", "--noprofile", "--norc", script], env=env))
PY

# The pipeline's rules, as the checks below need them.
"$python" - "$pipeline" > "$work/facts" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for job, spec in doc.items():
    if job.startswith(".") or not isinstance(spec, dict) or "script" not in spec:
        continue
    print(f"{job}.rules=" + " ".join(rule.get("if", "") for rule in spec.get("rules", [])))
    print(f"{job}.resource_group={spec.get('resource_group', '')}")
    failure = spec.get("allow_failure")
    print(f"{job}.allow_failure_exit_codes=" + " ".join(map(str, failure.get("exit_codes", []) if isinstance(failure, dict) else [])))
    print(f"{job}.script=" + " ; ".join(spec["script"]).replace("\n", " "))
PY
fact() { sed -n "s/^$1=//p" "$work/facts"; }
for job in validate plan; do
    fact "$job.rules" | grep -q 'merge_request_event' || fail "$job does not run on merge requests"
done
fact apply.rules | grep -q 'CI_DEFAULT_BRANCH' || fail "apply does not run on the default branch"
fact drift.rules | grep -q 'schedule' || fail "drift does not run on a schedule"
[ "$(fact drift.allow_failure_exit_codes)" = "2" ] || fail "drift's exit 2 (new drift) is not allowed to fail"
apply_group=$(fact apply.resource_group); drift_group=$(fact drift.resource_group)
[ -n "$apply_group" ] || fail "apply has no resource_group"
[ "$apply_group" != "$drift_group" ] || fail "drift shares apply's resource_group"
fact drift.script | grep -q -- '--notify' || fail "drift does not notify"

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

# The release, as scripts/package.sh lays it out, in a folder standing in for the release downloads.
version=$("$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["variables"]["ROOMSYNC_VERSION"])' "$pipeline")
name="roomsync-$version-linux-x86_64"
mkdir -p "releases/v$version" "package/$name" usr-local-bin stubs api/issues project
cp "$roomsync" "package/$name/roomsync"
tar -czf "releases/v$version/$name.tar.gz" -C package "$name"
sha=$(sha256sum "releases/v$version/$name.tar.gz" | cut -d' ' -f1)

# The project's CI/CD variables (the header's table says how GitLab holds each), and the test's stand-ins.
api=https://gitlab.example.com/api/v4
write_variables() {
    cat > "$work/variables" <<VARS
WECOM_CORP_ID=ww-sandbox
WECOM_CORP_SECRET=sandbox-secret
ROOMSYNC_STATE_URL=$state_url
PGPASSWORD=trust-auth-ignores-it
ROOMSYNC_GITLAB_TOKEN=glpat-test-token-not-a-secret
ROOMSYNC_WEBHOOK_KEY=robot-key-3f9a
TEST_OVERRIDE_WECOM_ENDPOINT=$endpoint
TEST_OVERRIDE_ROOMSYNC_DOWNLOAD=file://$work/releases
TEST_OVERRIDE_ROOMSYNC_SHA256=$1
TEST_OVERRIDE_ROOMSYNC_BIN_DIR=$work/usr-local-bin
VARS
}
write_variables "$sha"

# `curl` to GitLab's API keeps notes and issues under api/; anything else is the real curl.
cat > stubs/curl <<STUB
#!$(command -v "$python")
import json, os, sys, urllib.parse
args = sys.argv[1:]
url = next((a for a in args if a.startswith("$api/")), None)
if url is None:
    os.execv("/usr/bin/curl", ["curl"] + args)
store = "$work/api"
token = next((args[i + 1] for i, a in enumerate(args) if a == "--header" and args[i + 1].startswith("PRIVATE-TOKEN: ")), "")
if token != "PRIVATE-TOKEN: glpat-test-token-not-a-secret":
    print("curl: (22) The requested URL returned error: 401", file=sys.stderr); sys.exit(22)
method = next((args[i + 1] for i, a in enumerate(args) if a == "--request"), "GET")
data = {}
for i, a in enumerate(args):
    if a in ("--data", "--data-urlencode"):
        key, _, value = args[i + 1].partition("=")
        if "@" in key and not _:
            key, _, path = key.partition("@"); value = open(path).read()
        data[key] = value
path = urllib.parse.urlparse(url).path.removeprefix("/api/v4")
with open(f"{store}/calls", "a") as f: f.write(f"{method} {url}\n")
issues = sorted(int(n) for n in os.listdir(f"{store}/issues"))
def issue(n): return json.load(open(f"{store}/issues/{n}"))
def save(n, value): json.dump(value, open(f"{store}/issues/{n}", "w"))
if path == "/projects/42/merge_requests/7/notes" and method == "POST":
    n = len([f for f in os.listdir(store) if f.startswith("note-")])
    open(f"{store}/note-{n}.md", "w").write(data["body"]); print('{"id": 1}')
elif path == "/projects/42/issues" and method == "GET":
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    print(json.dumps([{"id": 900 + n, **issue(n)} for n in issues
        if issue(n)["state"] == query["state"][0] and query["labels"][0] in issue(n)["labels"]], separators=(",", ":")))
elif path == "/projects/42/issues" and method == "POST":
    n = len(issues) + 1
    save(n, {"iid": n, "title": data["title"], "labels": data["labels"].split(","), "description": data["description"], "state": "opened"})
    print(json.dumps(issue(n)))
elif path.startswith("/projects/42/issues/") and method == "PUT":
    n = int(path.rsplit("/", 1)[1]); value = issue(n)
    if "description" in data: value["description"] = data["description"]
    if data.get("state_event") == "close": value["state"] = "closed"
    save(n, value); print(json.dumps(value))
else:
    print(f"curl stub: unexpected {method} {url}", file=sys.stderr); sys.exit(22)
STUB
chmod +x stubs/curl

# The project checkout, and what a runner's shell starts with: the image's PATH, GitLab's predefined variables.
export PATH="$work/stubs:$work/usr-local-bin:$PATH"
export CI=true CI_SERVER_HOST=gitlab.example.com CI_PROJECT_PATH=facilities/rooms CI_PROJECT_ID=42 CI_DEFAULT_BRANCH=main
export CI_API_V4_URL=$api
mkdir project/rooms
cat > project/rooms/shenzhen.yaml <<'YAML'
version: 1
defaults: {city: 深圳, building: 腾讯大厦, coordinate: {latitude: "22.540503", longitude: "113.934528"}}
rooms:
  sz-18f-large: {name: 18F-会议室, capacity: 10, floor: 18F, equipment: [tv, phone]}
  sz-19f-small: {name: 19F-小会议室, capacity: 4, floor: 19F}
YAML

run_job() { (cd "$work/project" && "$python" "$work/run-job.py" "$pipeline" "$1" "${2:-script}" "$work/variables"); }
state_rooms() { "$roomsync" state pull --state "$state_url" | "$python" -c "import json,sys; s=json.load(sys.stdin); $1"; }
wecom() {
    local token
    token=$(/usr/bin/curl -s "$endpoint/cgi-bin/gettoken?corpid=ww-sandbox&corpsecret=sandbox-secret" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    /usr/bin/curl -s -X POST "$endpoint/cgi-bin/oa/meetingroom/$1?access_token=$token" -d "$2"
}
open_issues() { "$python" -c 'import json,os,sys; print(sum(json.load(open(os.path.join(sys.argv[1], n)))["state"] == "opened" for n in os.listdir(sys.argv[1])))' api/issues; }

# Merge request. First a release whose checksum is not the pinned one: refused, nothing installed.
export CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=7 CI_COMMIT_SHORT_SHA=abc1234
write_variables "${sha//?/0}"
if run_job validate > badsum.log 2>&1; then fail "validate ran with a tarball that does not match the checksum: $(cat badsum.log)"; fi
grep -q 'FAILED' badsum.log || fail "no checksum failure: $(cat badsum.log)"
[ ! -e usr-local-bin/roomsync ] || fail "a tarball with the wrong checksum was installed"
write_variables "$sha"

# Validate, then the plan posted as a note: with none of the protected variables, as GitLab gives a merge request.
run_job validate > validate.log 2>&1 || fail "validate failed: $(cat validate.log)"
grep -q "(commit" validate.log || fail "the job did not say which roomsync it installed: $(cat validate.log)"
"$python" -c 'import json,sys; d=json.load(open("project/validate.json")); sys.exit(0 if d["valid"] and d["rooms"]==2 else 1)' || fail "validate.json: $(cat project/validate.json)"
run_job plan > plan.log 2>&1 || fail "plan failed: $(cat plan.log)"
[ -f api/note-0.md ] || fail "no note was posted: $(cat api/calls 2>/dev/null)"
grep -q 'Plan: 2 to add, 0 to change, 0 to delete, 0 to adopt.' api/note-0.md || fail "the note lacks the plan summary"
cmp -s api/note-0.md project/plan.md || fail "the note is not the plan"
[ ! -f project/.roomsync/state.json ] || fail "plan wrote a state"

# Later jobs take the tarball from the cache (the project folder here): with the download gone they still run.
mv releases releases.gone

# Merge to the default branch: apply the saved plan under the state's lock, notify; after_script, in a shell of its
# own, says what changed.
export CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=main
unset CI_MERGE_REQUEST_IID
rm -f project/plan.json project/plan.md
run_job apply > apply.log 2>&1 || fail "apply failed: $(cat apply.log)"
grep -q 'Apply complete: 2 added' apply.log || fail "apply did not add the rooms: $(cat apply.log)"
run_job apply after_script > history.log 2>&1 || fail "after_script failed: $(cat history.log)"
grep -q 'sz-18f-large' history.log || fail "the history does not name the added room: $(cat history.log)"
state_rooms 'sys.exit(0 if len(s["rooms"])==2 else 1)' || fail "the state does not map both rooms"
[ ! -f project/.roomsync/state.json ] || fail "a state file was written beside the database's state"
grep -q 'roomsync apply complete' webhook.jsonl || fail "apply did not notify: $(cat webhook.jsonl 2>/dev/null)"

# Nightly, nothing changed: drift passes, posts nothing, opens no issue.
export CI_PIPELINE_SOURCE=schedule
unset CI_COMMIT_BRANCH
run_job drift > drift.log 2>&1 || fail "drift failed on a clean apply: $(cat drift.log)"
[ "$(wc -l < webhook.jsonl)" -eq 1 ] || fail "drift notified without drift"
[ "$(open_issues)" -eq 0 ] || fail "an issue was opened without drift"

# Someone adds a room in the console: drift exits 2 (a warning in GitLab), posts it to the chat and opens one
# issue; the next night, the room still there and another edited, updates that issue.
wecom add '{"name":"Console-Room","capacity":6,"city":"深圳","building":"腾讯大厦","floor":"20F"}' > added.json
set +e; run_job drift > drift.log 2>&1; code=$?; set -e
[ "$code" -eq 2 ] || fail "drift exit code $code, expected 2: $(cat drift.log)"
[ "$(wc -l < webhook.jsonl)" -eq 2 ] || fail "drift did not notify"
tail -1 webhook.jsonl | grep -q 'Console-Room' || fail "the drift message does not name the room"
[ "$(open_issues)" -eq 1 ] || fail "drift did not open one issue: $(cat api/calls)"
grep -q 'Console-Room' api/issues/1 || fail "the issue does not name the console room"
wecom edit "{\"meetingroom_id\":$(state_rooms 'print(s["rooms"]["sz-19f-small"]["meetingroom_id"])'),\"capacity\":40}" > /dev/null
set +e; run_job drift > drift.log 2>&1; code=$?; set -e
[ "$code" -eq 2 ] || fail "drift exit code $code, expected 2: $(cat drift.log)"
grep -q 'sz-19f-small' project/drift.md || fail "drift.md does not name the changed room"
[ "$(ls api/issues | wc -l)" -eq 1 ] || fail "a second night opened another issue"
grep -q 'sz-19f-small' api/issues/1 || fail "the issue was not updated with tonight's drift"

# Once the rooms match again, the next night closes the issue.
wecom del "{\"meetingroom_id\":$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["meetingroom_id"])' added.json)}" > /dev/null
wecom edit "{\"meetingroom_id\":$(state_rooms 'print(s["rooms"]["sz-19f-small"]["meetingroom_id"])'),\"capacity\":4}" > /dev/null
run_job drift > drift.log 2>&1 || fail "drift failed once the rooms matched: $(cat drift.log)"
[ "$(open_issues)" -eq 0 ] || fail "the drift issue stayed open with no drift"
! grep -rq "robot-key-3f9a" ./*.log || fail "the webhook key was printed"

echo "test-pipeline: ok"
