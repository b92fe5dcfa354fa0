#!/usr/bin/env bash
# Checks a release tarball of scripts/package.sh as a user with neither Swift nor libyaml would meet it: the
# checksum, the layout, what the binary links, then the binary run with a scrubbed environment (no toolchain on
# PATH, nothing from this shell) against a sandbox it serves itself on a loopback port: --version, validate, plan,
# apply, drift. As root, it runs in a mount namespace of its own where /opt/swift and every libyaml are hidden, so a
# binary that still needed them would fail to start. Prints the times it measured (bench/RESULTS.md records them).
# Usage: scripts/check-package.sh [TARBALL]   (default: the newest dist/roomsync-*.tar.gz; exit 0 when all holds)
# Too slow for .ci/run, which would have to make the release build first (11+ minutes): run it after package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${1:-$(ls -t dist/roomsync-*-linux-*.tar.gz 2>/dev/null | head -1)}
[ -n "$tarball" ] && [ -f "$tarball" ] || { echo "check-package: no tarball; run scripts/package.sh first" >&2; exit 1; }
tarball=$(readlink -f "$tarball")
repo=$PWD

# As root, once: hide the toolchain and libyaml in a private mount namespace, then run the rest there.
if [ "$(id -u)" -eq 0 ] && [ -z "${CHECK_PACKAGE_HIDDEN:-}" ] && command -v unshare > /dev/null; then
    exec unshare --mount env CHECK_PACKAGE_HIDDEN=1 bash -c '
        set -e
        [ ! -d /opt/swift ] || mount -t tmpfs none /opt/swift
        for library in /usr/lib/*/libyaml* /lib/*/libyaml*; do
            [ -e "$library" ] && mount --bind /dev/null "$library"
        done
        exec bash "$0" "$1"' "$0" "$tarball"
fi

fail() { echo "check-package: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f s", b - a }'; }
work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${CHECK_PACKAGE_HIDDEN:-}" ]; then
    [ ! -e /opt/swift/usr/bin/swift ] || fail "the toolchain is still visible"
    ! ls /usr/lib/*/libyaml-0.so.2 > /dev/null 2>&1 || [ ! -s "$(ls /usr/lib/*/libyaml-0.so.2 | head -1)" ] || fail "libyaml is still visible"
    echo "check-package: /opt/swift and libyaml are hidden"
else
    echo "check-package: not root: the toolchain and libyaml stay installed, only the environment is scrubbed"
fi

# From an empty folder to the first plan: check the checksum, unpack, plan (the sandbox is started before).
sums="$tarball.sha256"
[ -f "$sums" ] || fail "no $sums"
name=$(basename "$tarball" .tar.gz)
mkdir "$work/user"
cp "$tarball" "$sums" "$work/user/"
cd "$work/user"

# The scrubbed environment a fresh machine's user has: no Swift, no libyaml, no variables of this shell.
scrubbed=(env -i HOME="$work/user" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 NO_COLOR=1)

start=$(now)
"${scrubbed[@]}" sha256sum --check --strict "$(basename "$sums")" > /dev/null || fail "the checksum does not match"
"${scrubbed[@]}" tar -xzf "$(basename "$tarball")"
unpacked=$(now)
for file in roomsync README.md LICENSE; do [ -f "$name/$file" ] || fail "the tarball has no $name/$file"; done
[ "$(tar -tzf "$(basename "$tarball")" | sort)" = "$(printf '%s\n' "$name/" "$name/LICENSE" "$name/README.md" "$name/roomsync")" ] \
    || fail "the tarball holds more than the binary, README.md and LICENSE: $(tar -tzf "$(basename "$tarball")")"
roomsync="$work/user/$name/roomsync"

# Only the C library family, and a stripped binary.
needed=$(readelf -d "$roomsync" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for library in $needed; do
    case "$library" in
        libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libutil.so.*|ld-linux*.so.*|libstdc++.so.*|libgcc_s.so.*) ;;
        *) fail "the binary needs $library" ;;
    esac
done
! readelf -S "$roomsync" | grep -q '\.symtab' || fail "the binary is not stripped"
ldd "$roomsync" > "$work/ldd.txt" 2>&1 || true
! grep -q 'not found' "$work/ldd.txt" || fail "ldd: $(cat "$work/ldd.txt")"
! grep -Eq 'libyaml|libswift|libFoundation|/opt/swift' "$work/ldd.txt" || fail "ldd: $(cat "$work/ldd.txt")"

version_line=$("${scrubbed[@]}" "$roomsync" --version)
case "$version_line" in
    *"(commit unknown)"*) fail "the packaged binary does not know its commit: $version_line" ;;
    [0-9]*.[0-9]*" (commit "*")") ;;
    *) fail "--version says '$version_line'" ;;
esac
case "$name" in "roomsync-${version_line%% *}-linux-"*) ;; *) fail "$name is not named after version ${version_line%% *}" ;; esac

"${scrubbed[@]}" "$roomsync" sandbox serve --port 0 --data :memory: > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    grep -q '^listening on ' "$work/server.log" 2>/dev/null && break
    sleep 0.05
done
endpoint=$(sed -n 's/^listening on //p' "$work/server.log" | head -1)
case "$endpoint" in http://127.0.0.1:*) ;; *) fail "the sandbox did not start on loopback: $(cat "$work/server.log")" ;; esac
target=(WECOM_ENDPOINT="$endpoint" WECOM_CORP_ID=ww-sandbox WECOM_CORP_SECRET=sandbox-secret)

cp "$repo/rooms.example.yaml" rooms.yaml
plan_start=$(now)
"${scrubbed[@]}" "${target[@]}" "$roomsync" plan rooms.yaml > plan.txt || fail "plan failed: $(cat plan.txt)"
planned=$(now)
grep -q '^Plan: ' plan.txt || fail "plan printed no summary: $(cat plan.txt)"
"${scrubbed[@]}" "${target[@]}" "$roomsync" validate rooms.yaml > /dev/null || fail "validate failed"
"${scrubbed[@]}" "${target[@]}" "$roomsync" apply rooms.yaml --auto-approve > apply.txt || fail "apply failed: $(cat apply.txt)"
grep -q 'Apply complete' apply.txt || fail "apply did not complete: $(cat apply.txt)"
"${scrubbed[@]}" "${target[@]}" "$roomsync" drift > drift.txt || fail "drift after apply: $(cat drift.txt)"

echo "check-package: $name: $version_line"
echo "check-package: needs $needed"
echo "check-package: binary $(stat -c %s "$roomsync") bytes, tarball $(stat -c %s "$tarball") bytes"
echo "check-package: checksum and unpack $(elapsed "$start" "$unpacked"), first plan $(elapsed "$plan_start" "$planned"), empty folder to first plan $(elapsed "$start" "$planned")"
echo "check-package: ok"
