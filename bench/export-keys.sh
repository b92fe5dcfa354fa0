#!/usr/bin/env bash
# Export's cost when it makes a key for every room (issue 29 item 3: keys read Chinese by phrase). N rooms (default
# 100,000) whose names mix Chinese cities, buildings and room words (重庆长江大厦18F大会议室007) are served by the
# sandbox; `roomsync export` runs with no state, so every room's key comes from its name. Each BINARY given is timed
# in turn, round after round, so the machine's drift reaches all alike; hyperfine's median and fastest run, and
# CPU time (user + system), are printed and written to bench/RESULTS-export-keys.md.
#
# usage: bench/export-keys.sh BINARY [BINARY...]     e.g. the release binaries before and after a change
# environment: N (rooms, default 100000), ROUNDS (default 5), RESULTS (default bench/RESULTS-export-keys.md)
#
# Only loopback: the sandbox listens on 127.0.0.1 and is stopped on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/export-keys.sh BINARY [BINARY...]" >&2; exit 2; }
n=${N:-100000}
rounds=${ROUNDS:-5}
results=${RESULTS:-bench/RESULTS-export-keys.md}
out=bench/out/export-keys
rm -rf "$out"
mkdir -p "$out/work"
binaries=()
for binary in "$@"; do binaries+=("$(realpath "$binary")"); done
roomsync=${binaries[0]}

# shellcheck source=bench/sandbox.sh
source bench/sandbox.sh
trap stop_sandboxes EXIT

python3 - "$n" "$out/sandbox.json" <<'PY'
import json, random, sys
count, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(29)
cities = ["重庆", "长沙", "厦门", "北京", "上海", "深圳", "广州", "成都", "武汉", "杭州", "南京", "西安", "长春", "朝阳",
          "蚌埠", "六安", "丽水", "天津", "苏州", "郑州"]
buildings = ["长江大厦", "银行大厦", "国际金融中心", "科技园", "软件园", "广场", "中心", "总部大楼", "创新中心", "大厦"]
kinds = ["会议室", "大会议室", "小会议室", "洽谈室", "培训室", "多功能厅", "行政会议室", "视频会议室", "接待室",
         "Meeting Room"]
rooms = [{"id": i + 1, "capacity": 8, "equipment": [],
          "name": f"{rng.choice(cities)}{rng.choice(buildings)}{rng.randint(1, 40)}F{rng.choice(kinds)}{i % 1000:03d}"}
         for i in range(count)]
json.dump({"version": 1, "next_id": count + 1, "buildings": [], "rooms": rooms}, open(path, "w"), ensure_ascii=False)
PY
start_sandbox "$out/server.log" --data "$out/sandbox.json"
export WECOM_ENDPOINT=$endpoint WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
unset CI

cd "$out/work"
for round in $(seq "$rounds"); do
    for index in "${!binaries[@]}"; do
        hyperfine -N --warmup $(( round == 1 ? 1 : 0 )) --runs 1 --export-json "../run-$index-$round.json" \
            "${binaries[$index]} export --out exported-$index.yaml" > /dev/null
    done
done
cd - > /dev/null

stat_ms() {
    python3 -c '
import json, statistics, sys
kind, files = sys.argv[1], sys.argv[2:]
runs = [r for f in files for r in json.load(open(f))["results"]]
times = [t for r in runs for t in r["times"]]
cpu = [r["user"] + r["system"] for r in runs]
print("%.0f" % (1000 * {"median": statistics.median(times), "min": min(times), "cpu": statistics.mean(cpu)}[kind]))' "$@"
}

{
    echo "# export: a key for every room"
    echo
    echo "Written by \`bench/export-keys.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load average before:"
    echo "$(cut -d' ' -f1-3 /proc/loadavg). $n rooms served by \`roomsync sandbox serve\`, names such as"
    echo "\`$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rooms"][0]["name"])' "$out/sandbox.json")\`;"
    echo "\`roomsync export\` with no state, so every key is made from a name. $rounds runs each, taking turns."
    echo
    echo "| binary | size | median | fastest | CPU (mean) | keys like |"
    echo "| --- | ---: | ---: | ---: | ---: | --- |"
    for index in "${!binaries[@]}"; do
        size=$(stat -c %s "${binaries[$index]}")
        key=$(sed -n 's/^  "\([a-z0-9][a-z0-9.-]*\)":$/\1/p' "$out/work/exported-$index.yaml" | head -1)
        echo "| \`$(basename "$(dirname "${binaries[$index]}")")/$(basename "${binaries[$index]}")\` | $(( size / 1024 )) KiB" \
            "| $(stat_ms median "$out"/run-"$index"-*.json) ms | $(stat_ms min "$out"/run-"$index"-*.json) ms" \
            "| $(stat_ms cpu "$out"/run-"$index"-*.json) ms | \`$key\` |"
    done
} > "$results"
cat "$results"
