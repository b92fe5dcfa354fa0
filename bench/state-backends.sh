#!/usr/bin/env bash
# Issue 13's benchmark: what the PostgreSQL state costs next to the state file, on the release binary.
#   - apply of 1,000 adds at --parallelism 8 against a sandbox answering after 20 ms (target: postgres ≤ 1.3× file);
#   - plan of 10,000 rooms, 1% changed (target: postgres ≤ 1.5× file).
# A throwaway PostgreSQL server is started on a free loopback port (as the postgres OS user when run as root) and
# stopped, with every sandbox, on every exit path. Writes bench/RESULTS-state-backends.md.
#
# usage: bench/state-backends.sh        environment: APPLY_RUNS (default 20), RUNS (plan runs, default 20),
#                                       SCRATCH (release build folder, default .build-release)
set -euo pipefail
cd "$(dirname "$0")/.."
apply_runs="${APPLY_RUNS:-20}"
runs="${RUNS:-20}"
scratch="${SCRATCH:-.build-release}"
out=bench/out/state-backends
mkdir -p "$out"
results=bench/RESULTS-state-backends.md

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || { echo "error: PostgreSQL is not installed (apt-get install -y postgresql)" >&2; exit 1; }
for tool in python3; do
    command -v "$tool" > /dev/null || { echo "error: $tool is missing" >&2; exit 1; }
done

# shellcheck source=bench/sandbox.sh
source bench/sandbox.sh
pg_dir=""
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(runuser -u postgres --)
cleanup() {
    stop_sandboxes
    if [ -n "$pg_dir" ]; then
        "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop > /dev/null 2>&1 || true
        rm -rf "$pg_dir"
        pg_dir=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building (release)…" >&2
swift build -c release --product roomsync --scratch-path "$scratch" > "$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
roomsync="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/roomsync"

# The database: a fresh cluster on a free loopback port, trust authentication for a test user.
pg_dir=$(mktemp -d)
chmod 755 "$pg_dir"
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U roomsync_bench > "$out/initdb.log" 2>&1
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=on" start > /dev/null
"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U roomsync_bench roomsync
pg_url="postgres://roomsync_bench@127.0.0.1:$port/roomsync?sslmode=disable"

export WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
unset CI
load=$(cut -d' ' -f1-3 /proc/loadavg)
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }

# Apply: 1,000 adds into an empty sandbox answering after 20 ms, alternating backends run by run.
python3 bench/gen-manifest.py 1000 > "$out/rooms.yaml"
declare -A apply_times
for run in $(seq "$apply_runs"); do
    for backend in file postgres; do
        if [ "$backend" = file ]; then state="$out/state.json"; rm -f "$state" "$state.history.jsonl" "$state.steps.jsonl"; workspace=default
        else state="$pg_url"; workspace="apply-$run"; fi
        start_sandbox "$out/server.log" --data :memory: --latency-ms 20
        start=$(date +%s%N)
        "$roomsync" apply --endpoint "$endpoint" --state "$state" --workspace "$workspace" --auto-approve --no-color \
            --parallelism 8 "$out/rooms.yaml" > "$out/apply-$backend.log" 2>&1 || { tail -5 "$out/apply-$backend.log" >&2; exit 1; }
        end=$(date +%s%N)
        grep -q "^Apply complete: 1000 added" "$out/apply-$backend.log" || { tail -3 "$out/apply-$backend.log" >&2; exit 1; }
        apply_times[$backend]+="$(( (end - start) / 1000000 )) "
        stop_sandboxes
    done
done
apply_file=$(echo "${apply_times[file]}" | tr ' ' '\n' | grep . | median)
apply_pg=$(echo "${apply_times[postgres]}" | tr ' ' '\n' | grep . | median)

# Plan: 10,000 rooms, 1% changed, the state in the file or pushed into a workspace.
world="$out/world-10000"
python3 bench/gen-world.py 10000 "$world"
cp "$world/sandbox.json" "$world/served.json"
start_sandbox "$world/server.log" --data "$world/served.json"
sed "s|@ENDPOINT@|$endpoint|" "$world/state.template.json" > "$world/state.json"
"$roomsync" state push "$world/state.json" --state "$pg_url" --workspace plan > /dev/null
plan_file="$roomsync plan --endpoint $endpoint --state $world/state.json --no-color $world/rooms"
plan_pg="$roomsync plan --endpoint $endpoint --state $pg_url --workspace plan --no-color $world/rooms"
[ "$($plan_file | tail -1)" = "$($plan_pg | tail -1)" ] || { echo "error: the two plans differ" >&2; exit 1; }
# Alternating run by run, like the applies: on a machine shared with other work, a change of load between two
# series of runs would otherwise show up as a difference between the backends.
$plan_file > /dev/null
$plan_pg > /dev/null
declare -A plan_times
for run in $(seq "$runs"); do
    for backend in file postgres; do
        if [ "$backend" = file ]; then command=$plan_file; else command=$plan_pg; fi
        start=$(date +%s%N)
        $command > /dev/null || { echo "error: plan with the $backend state failed" >&2; exit 1; }
        end=$(date +%s%N)
        plan_times[$backend]+="$(( (end - start) / 100000 )) "
    done
done
stop_sandboxes
tenths_median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 10 }'; }
plan_file_ms=$(echo "${plan_times[file]}" | tenths_median)
plan_pg_ms=$(echo "${plan_times[postgres]}" | tenths_median)

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
apply_ratio=$(ratio "$apply_pg" "$apply_file")
plan_ratio=$(ratio "$plan_pg_ms" "$plan_file_ms")
verdict() { python3 -c "print('met' if $1 <= $2 else 'MISSED')"; }
{
    echo "# State backends: PostgreSQL against the state file"
    echo
    echo "\`bench/state-backends.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average at the start: $load."
    echo "Release build (\`swift build -c release\`, dynamic), PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on loopback with fsync on."
    echo "Medians of $apply_runs applies and $runs plans per backend, the backends alternating run by run."
    echo
    echo "| measurement | file | postgres | ratio | target |"
    echo "| --- | ---: | ---: | ---: | --- |"
    echo "| apply, 1,000 adds, --parallelism 8, sandbox latency 20 ms | ${apply_file} ms | ${apply_pg} ms | ${apply_ratio}× | ≤ 1.3× ($(verdict "$apply_ratio" 1.3)) |"
    echo "| plan, 10,000 rooms (1% changed) | ${plan_file_ms} ms | ${plan_pg_ms} ms | ${plan_ratio}× | ≤ 1.5× ($(verdict "$plan_ratio" 1.5)) |"
    echo
    echo "Commands:"
    echo
    echo '```'
    echo "roomsync apply --endpoint http://127.0.0.1:PORT --state STATE --workspace apply-N --auto-approve --no-color --parallelism 8 rooms.yaml"
    echo "roomsync state push world-10000/state.json --state postgres://… --workspace plan"
    echo "roomsync plan --endpoint http://127.0.0.1:PORT --state STATE [--workspace plan] --no-color world-10000/rooms"
    echo '```'
} > "$results"
cat "$results"
