#!/usr/bin/env bash
# What the booking check (SPEC section 10) costs a plan: 1,000 deletes with the default 14-day horizon (15 calls
# of get_booking_info, one per day for the corp, sent at once) against the same plan with --booking-horizon 0 (no
# call), the served sandbox answering every call after --latency-ms 40. A tenth of the rooms have a booking in the
# horizon, so the answers carry bookings (gen-world protects some rooms, so a little under 1,000 are deleted).
# Prints one table row for bench/RESULTS.md.
#
# usage: bench/booking-cost.sh [ROOMSYNC]   (ROOMSYNC defaults to the release binary if built, else the debug one)
# Only loopback: the sandbox listens on 127.0.0.1 and is killed on every exit path.
set -euo pipefail

cd "$(dirname "$0")/.."
out=bench/out
world="$out/bookings-1000"
runs="${RUNS:-5}"
mkdir -p "$out"
if [ -n "${1:-}" ]; then
    roomsync="$1"
elif [ -x "$(swift build -c release --show-bin-path 2> /dev/null)/roomsync" ]; then
    roomsync="$(swift build -c release --show-bin-path)/roomsync"
else
    roomsync="$(swift build --show-bin-path)/roomsync"
fi

# shellcheck source=bench/sandbox.sh
source bench/sandbox.sh
trap stop_sandboxes EXIT
trap 'exit 130' INT TERM

python3 bench/gen-world.py 1000 "$world"
# Every managed room deleted: a manifest that declares none of them.
printf 'version: 1\nrooms: {}\n' > "$world/rooms/rooms.yaml"
# A booking tomorrow in every tenth room (SandboxStore.StoredBooking).
python3 - "$world/sandbox.json" "$world/served.json" <<'PY'
import json, sys, time
data = json.load(open(sys.argv[1]))
day = (int(time.time()) + 8 * 3600) // 86400 * 86400 - 8 * 3600 + 86400
bookings = []
for number, room in enumerate(data["rooms"][::10], start=1):
    start = day + 9 * 3600 + (number % 8) * 1800
    bookings.append({"number": number, "schedule_number": number, "meetingroom_id": room["id"],
                     "start_time": start, "end_time": start + 3600, "booker": "user%d" % number, "status": 0})
data["bookings"] = bookings
data["next_booking_id"] = len(bookings) + 1
json.dump(data, open(sys.argv[2], "w"), ensure_ascii=False)
PY
start_sandbox "$world/server.log" --data "$world/served.json" --latency-ms 40
sed "s|@ENDPOINT@|$endpoint|" "$world/state.template.json" > "$world/state.json"
export WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret
unset CI

plan=("$roomsync" plan --endpoint "$endpoint" --state "$world/state.json" --no-color --allow-mass-delete "$world/rooms")
"${plan[@]}" > "$world/plan.txt"
grep -Eq '^Plan: 0 to add, 0 to change, [0-9]+ to delete, 0 to adopt. [0-9]+ bookings would be cancelled.$' "$world/plan.txt" \
    || { echo "error: unexpected plan:" >&2; tail -3 "$world/plan.txt" >&2; exit 1; }

hyperfine -N --warmup 1 --runs "$runs" --export-json "$out/bookings-14.json" "${plan[*]}" > /dev/null
hyperfine -N --warmup 1 --runs "$runs" --export-json "$out/bookings-0.json" "${plan[*]} --booking-horizon 0" > /dev/null
median_ms() {
    python3 -c 'import json,statistics,sys; print("%.1f" % (statistics.median(json.load(open(sys.argv[1]))["results"][0]["times"]) * 1000))' "$1"
}
with=$(median_ms "$out/bookings-14.json")
without=$(median_ms "$out/bookings-0.json")
deletes=$(sed -n 's/^Plan: .* \([0-9]*\) to delete.*/\1/p' "$world/plan.txt")
echo "| $deletes deletes, 40 ms latency | $with ms (--booking-horizon 14: 15 calls) | $without ms (--booking-horizon 0) | $(python3 -c "print('%.1f' % ($with - $without))") ms | $(basename "$(dirname "$roomsync")") |"
