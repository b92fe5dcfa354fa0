#!/usr/bin/env bash
# Two builds of roomsync side by side (a change's before and after): `validate` and `plan` of the worlds
# bench/run.sh times (bench/gen-world.py: a one-file manifest, a served sandbox matching it but for 1%, the state a
# finished apply leaves), each binary in turn in every round, so the machine's drift reaches both alike. Prints the
# medians, the fastest runs and the CPU time of each, and after / before; then the peak memory (max RSS, median of
# MEMORY_RUNS runs of each) of validate and plan, and `apply` of 1,000 adds against a sandbox answering after 20 ms
# at --parallelism 1 and 8, as bench/run.sh measures them, the two builds in turn.
#
# usage: bench/compare.sh BEFORE_BINARY AFTER_BINARY [SIZES...]     (default sizes: 10000 100000)
# environment: ROUNDS (default 5), RUNS (runs per command per round, default 3; 1 at 100,000 rooms),
#              MEMORY_RUNS (default 3), APPLY_RUNS (default 3; 0 leaves apply out)
#
# Only loopback: the sandbox listens on 127.0.0.1 and is killed on every exit path.
set -euo pipefail

cd "$(dirname "$0")/.."
before="$(realpath "$1")" after="$(realpath "$2")"
shift 2
sizes=("${@:-10000 100000}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
rounds="${ROUNDS:-5}"
runs="${RUNS:-3}"
memory_runs="${MEMORY_RUNS:-3}"
apply_runs="${APPLY_RUNS:-3}"
out=bench/out/compare
mkdir -p "$out"

# shellcheck source=bench/sandbox.sh
source bench/sandbox.sh
roomsync="$after"
trap stop_sandboxes EXIT
trap 'exit 130' INT TERM
export WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
unset CI

stats() {
    python3 - "$@" << 'EOF'
import json, statistics, sys
results = [json.load(open(f))["results"][0] for f in sys.argv[1:]]
times = [t for r in results for t in r["times"]]
cpu = sum(r["user"] + r["system"] for r in results) / len(results)
print("%.1f %.1f %.1f" % (statistics.median(times) * 1000, min(times) * 1000, cpu * 1000))
EOF
}

# Max RSS in MB of one run of a command (its output discarded).
peak_mb() {
    /usr/bin/time -v -o "$out/time.txt" "$@" > /dev/null 2>&1 || true
    awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$out/time.txt"
}

median() {
    printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

memory_lines=()
printf '%-8s %-9s %28s %28s %22s\n' rooms command "before: median/fastest/cpu" "after: median/fastest/cpu" "after/before (median, fastest, cpu)"
for n in "${sizes[@]}"; do
    world="$out/world-$n"
    python3 bench/gen-world.py "$n" "$world" > /dev/null
    cp "$world/sandbox.json" "$world/served.json"
    start_sandbox "$world/server.log" --data "$world/served.json"
    sed "s|@ENDPOINT@|$endpoint|" "$world/state.template.json" > "$world/state.json"
    manifest="$world/rooms"
    n_runs=$runs
    [ "$n" -ge 100000 ] && n_runs=1
    for build in before after; do
        binary=${!build}
        # Both builds must plan exactly the 1% the world changed, and the same way.
        "$binary" plan --endpoint "$endpoint" --state "$world/state.json" --no-color "$manifest" > "$out/plan-$n-$build.txt"
    done
    cmp -s "$out/plan-$n-before.txt" "$out/plan-$n-after.txt" \
        || { echo "error: the two builds plan $n rooms differently (diff $out/plan-$n-before.txt $out/plan-$n-after.txt)" >&2; exit 1; }
    rm -f "$out"/*-"$n"-*.json
    for round in $(seq "$rounds"); do
        for command in validate plan; do
            for build in before after; do
                binary=${!build}
                if [ "$command" = validate ]; then
                    line="$binary validate $manifest"
                else
                    line="$binary plan --endpoint $endpoint --state $world/state.json --no-color $manifest"
                fi
                hyperfine -N --warmup "$(( round == 1 ? 1 : 0 ))" --runs "$n_runs" \
                    --export-json "$out/$command-$n-$build-$round.json" "$line" > /dev/null
            done
        done
    done
    declare -A peaks=()
    for _ in $(seq "$memory_runs"); do
        for build in before after; do
            binary=${!build}
            peaks[validate-$build]+=" $(peak_mb "$binary" validate "$manifest")"
            peaks[plan-$build]+=" $(peak_mb "$binary" plan --endpoint "$endpoint" --state "$world/state.json" --no-color "$manifest")"
        done
    done
    for command in validate plan; do
        # shellcheck disable=SC2086
        before_mb=$(median ${peaks[$command-before]}) after_mb=$(median ${peaks[$command-after]})
        memory_lines+=("$(printf '%-8s %-9s %12s MB %12s MB %10s' "$n" "$command" "$before_mb" "$after_mb" \
            "$(awk -v a="$after_mb" -v b="$before_mb" 'BEGIN { printf "%.3f", a / b }')")")
    done
    for command in validate plan; do
        read -r bm bf bc <<< "$(stats "$out"/"$command-$n"-before-*.json)"
        read -r am af ac <<< "$(stats "$out"/"$command-$n"-after-*.json)"
        printf '%-8s %-9s %28s %28s %22s\n' "$n" "$command" "$bm / $bf / $bc ms" "$am / $af / $ac ms" \
            "$(awk -v a="$am" -v b="$bm" -v c="$af" -v d="$bf" -v e="$ac" -v f="$bc" \
                'BEGIN { printf "%.3f, %.3f, %.3f", a / b, c / d, e / f }')"
    done
    stop_sandboxes
done

echo
printf '%-8s %-9s %15s %15s %10s\n' rooms command "before: max RSS" "after: max RSS" "after/before"
printf '%s\n' "${memory_lines[@]}"

[ "$apply_runs" -ge 1 ] || exit 0
apply_world="$out/apply"
mkdir -p "$apply_world"
python3 bench/gen-manifest.py 1000 > "$apply_world/rooms.yaml"
echo
printf '%-34s %12s %12s %12s\n' "apply, 1,000 adds, latency 20 ms" before after after/before
for p in 1 8; do
    declare -A apply_ms_of=()
    for _ in $(seq "$apply_runs"); do
        for build in before after; do
            timed_apply "${!build}" "$p" "$apply_world" "$apply_world/apply-$p-$build.log"
            apply_ms_of[$build]+=" $apply_ms"
        done
    done
    # shellcheck disable=SC2086
    before_ms=$(median ${apply_ms_of[before]}) after_ms=$(median ${apply_ms_of[after]})
    printf '%-34s %10s ms %10s ms %12s\n' "--parallelism $p (median of $apply_runs)" "$before_ms" "$after_ms" \
        "$(awk -v a="$after_ms" -v b="$before_ms" 'BEGIN { printf "%.3f", a / b }')"
done
