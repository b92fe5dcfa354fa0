#!/usr/bin/env bash
# Two builds of roomsync side by side (a change's before and after): `validate` and `plan` of the worlds
# bench/run.sh times (bench/gen-world.py: a one-file manifest, a served sandbox matching it but for 1%, the state a
# finished apply leaves), each binary in turn in every round, so the machine's drift reaches both alike. Prints the
# medians, the fastest runs and the CPU time of each, and after / before.
#
# usage: bench/compare.sh BEFORE_BINARY AFTER_BINARY [SIZES...]     (default sizes: 10000 100000)
# environment: ROUNDS (default 5), RUNS (runs per command per round, default 3; 1 at 100,000 rooms)
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
    for command in validate plan; do
        read -r bm bf bc <<< "$(stats "$out"/"$command-$n"-before-*.json)"
        read -r am af ac <<< "$(stats "$out"/"$command-$n"-after-*.json)"
        printf '%-8s %-9s %28s %28s %22s\n' "$n" "$command" "$bm / $bf / $bc ms" "$am / $af / $ac ms" \
            "$(awk -v a="$am" -v b="$bm" -v c="$af" -v d="$bf" -v e="$ac" -v f="$bc" \
                'BEGIN { printf "%.3f, %.3f, %.3f", a / b, c / d, e / f }')"
    done
    stop_sandboxes
done
