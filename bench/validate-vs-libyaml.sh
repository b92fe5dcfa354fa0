#!/usr/bin/env bash
# Times `roomsync validate` on an N-room manifest against a bare C program that only pulls libyaml's events
# through the same file, and prints the ratio. Target: validate <= 3x the bare libyaml pass.
#
# usage: bench/validate-vs-libyaml.sh [ROOMS]   (default 10000; LINK=static|dynamic as in bench/run.sh,
#        SCRATCH=DIR picks the SwiftPM build folder)
set -euo pipefail

cd "$(dirname "$0")/.."
rooms="${1:-10000}"
case "${LINK:-static}" in
    static) link_flags=(--static-swift-stdlib); scratch="${SCRATCH:-.build-static}" ;;
    dynamic) link_flags=(); scratch="${SCRATCH:-.build}" ;;
    *) echo "error: LINK is static or dynamic" >&2; exit 1 ;;
esac
out=bench/out
mkdir -p "$out"

swift build -c release "${link_flags[@]}" --product roomsync --scratch-path "$scratch" >&2
roomsync="$(swift build -c release "${link_flags[@]}" --scratch-path "$scratch" --show-bin-path)/roomsync"
# shellcheck disable=SC2046
gcc -O2 -o "$out/libyaml-events" bench/libyaml-events.c $(pkg-config --cflags --libs yaml-0.1)
python3 bench/gen-manifest.py "$rooms" > "$out/rooms-$rooms.yaml"
manifest="$out/rooms-$rooms.yaml"
echo "manifest: $manifest ($(wc -c < "$manifest") bytes, $rooms rooms)"
"$out/libyaml-events" "$manifest"
"$roomsync" validate "$manifest"

if command -v hyperfine > /dev/null; then
    hyperfine --warmup 3 --runs 20 --export-json "$out/hyperfine.json" \
        -n libyaml "$out/libyaml-events $manifest" \
        -n roomsync "$roomsync validate $manifest" >&2
    read -r c swift < <(python3 -c '
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(r["libyaml"] * 1000, r["roomsync"] * 1000)' "$out/hyperfine.json")
else
    # No hyperfine: the median of 15 runs of each, in milliseconds.
    median() {
        local times=()
        for _ in $(seq 15); do
            local start end
            start=$(date +%s%N)
            "$@" > /dev/null
            end=$(date +%s%N)
            times+=($(( (end - start) / 1000 )))
        done
        printf '%s\n' "${times[@]}" | sort -n | sed -n 8p | awk '{ printf "%.2f", $1 / 1000 }'
    }
    c=$(median "$out/libyaml-events" "$manifest")
    swift=$(median "$roomsync" validate "$manifest")
fi
awk -v c="$c" -v s="$swift" 'BEGIN {
    printf "libyaml events (C, -O2): %.1f ms\nroomsync validate:        %.1f ms\nratio:                    %.2fx (target <= 3x)\n", c, s, s / c
}'
