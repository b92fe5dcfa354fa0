#!/usr/bin/env bash
# The release tarball's binary (scripts/package.sh: static Swift runtime and libyaml, stripped) against the plain
# release build (Swift's shared libraries and libyaml's): file size, start-up (`--version`, `validate` of
# rooms.example.yaml), and the time from an empty folder to a first `plan` with the tarball (check the checksum,
# unpack, plan rooms.example.yaml against a served sandbox).
# Usage: bench/package.sh DYNAMIC_ROOMSYNC [TARBALL]   (TARBALL: default the newest dist/roomsync-*.tar.gz)
#   e.g. swift build -c release --product roomsync && bench/package.sh .build/release/roomsync
# Needs hyperfine. Writes bench/RESULTS-package.md (bench/run.sh copies it into bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
dynamic=$(readlink -f "$1")
tarball=$(readlink -f "${2:-$(ls -t dist/roomsync-*-linux-*.tar.gz | head -1)}")
results=bench/RESULTS-package.md
name=$(basename "$tarball" .tar.gz)
work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
tar -xzf "$tarball" -C "$work"
static="$work/$name/roomsync"
cp rooms.example.yaml "$work/rooms.yaml"

median_ms() { # hyperfine's median of COMMAND, in ms
    hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/h.json" "$@" > /dev/null 2>&1
    python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$work/h.json"
}
declare -A ms
for kind in static dynamic; do
    binary=${!kind}
    ms[$kind-version]=$(median_ms "$binary --version")
    ms[$kind-validate]=$(cd "$work" && median_ms "$binary validate rooms.yaml")
done

# From an empty folder: the tarball and its checksum as downloaded, then check, unpack, plan.
"$static" sandbox serve --port 0 --data :memory: > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$work/server.log" 2>/dev/null && break; sleep 0.05; done
endpoint=$(sed -n 's/^listening on //p' "$work/server.log" | head -1)
[ -n "$endpoint" ] || { echo "package bench: the sandbox did not start" >&2; exit 1; }
cat > "$work/first-plan.sh" <<SH
set -e
rm -rf "$work/empty" && mkdir "$work/empty" && cd "$work/empty"
cp "$tarball" "$tarball.sha256" "$work/rooms.yaml" .
sha256sum --check --strict --quiet "$name.tar.gz.sha256"
tar -xzf "$name.tar.gz"
WECOM_ENDPOINT=$endpoint WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret "./$name/roomsync" plan rooms.yaml > plan.txt
SH
ms[first-plan]=$(RUNS=10 median_ms "bash $work/first-plan.sh")
grep -q '^Plan: ' "$work/empty/plan.txt"

size() { python3 -c 'import os,sys; print("%.1f MB" % (os.path.getsize(sys.argv[1]) / 1e6))' "$1"; }
ldd_of() { ldd "$1" | awk '{print $1}' | grep -v '^linux-vdso' | sed 's/\.so.*//' | sort -u | tr '\n' ' '; }
{
    echo "## The release binary against the plain release build (issue 27, \`bench/package.sh\`)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; medians of hyperfine runs (${RUNS:-30}, after 3"
    echo "warm-ups; 10 for the first plan). \`$name.tar.gz\` is $(size "$tarball")."
    echo
    echo "| | release tarball's binary (static) | \`swift build -c release\` (dynamic) |"
    echo "| --- | ---: | ---: |"
    swift_libraries=$(ldd "$dynamic" | awk '/libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime/ {print $3}' \
        | xargs stat -L -c %s | awk '{ s += $1 } END { printf "%.1f MB", s / 1e6 }')
    echo "| file size | $(size "$static") (stripped) | $(size "$dynamic") (not stripped), and $swift_libraries of Swift's shared libraries |"
    echo "| shared libraries loaded | $(ldd_of "$static") | $(ldd_of "$dynamic") |"
    echo "| \`roomsync --version\` | ${ms[static-version]} ms | ${ms[dynamic-version]} ms |"
    echo "| \`roomsync validate rooms.example.yaml\` | ${ms[static-validate]} ms | ${ms[dynamic-validate]} ms |"
    echo
    echo "From an empty folder holding the downloaded tarball and its \`.sha256\` to a first \`plan\` of"
    echo "rooms.example.yaml against a served sandbox (\`sha256sum --check\`, \`tar -xzf\`, \`roomsync plan\`):"
    echo "${ms[first-plan]} ms. Building from source instead took 6 min 39 s (the README's first command on a fresh clone)"
    echo "and a release build with \`--static-swift-stdlib\` 11 minutes or more on this machine."
} > "$results"
cat "$results"
