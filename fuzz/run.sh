#!/usr/bin/env bash
# Builds the libFuzzer target for the manifest reader and runs it for a bounded time.
#
#   fuzz/run.sh [SECONDS] [extra libFuzzer flags…]     (default 600 seconds)
#
# The target is compiled straight from the sources with swiftc (RoomSyncCore, the invariants of
# RoomSyncTestSupport, fuzz/ManifestFuzzer/main.swift) as one module, so the package's normal `swift build` and
# `swift test` never see fuzzer flags. New inputs go to fuzz/.work/corpus (ignored by git); crashes to
# fuzz/.work/crash-*. Promote interesting ones into fuzz/corpus/ by hand, where `swift test` replays them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
export PATH="/opt/swift/usr/bin:$PATH"
# Swift's own crash backtracer fights AddressSanitizer over the crashed process (it hung here for minutes on
# the first crash); libFuzzer and ASan already print the stack.
export SWIFT_BACKTRACE=enable=no
mkdir -p fuzz/.work/corpus

# One module: the core's files, the shared oracle and the entry point. The oracle's `import RoomSyncCore` is
# then an import of its own module, which swiftc ignores with a warning.
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name RoomSyncCore \
    -I Sources/CLibYAML -lyaml \
    $(find Sources/RoomSyncCore -name '*.swift' | sort) \
    Sources/RoomSyncTestSupport/ManifestInvariants.swift \
    fuzz/ManifestFuzzer/main.swift \
    -o fuzz/.work/manifest-fuzzer 2> >(grep -v "ignoring import" >&2)

# The first directory collects what libFuzzer finds; the committed seeds are only read. -timeout flags a
# single input that takes longer than 10 s (a hang); -rss_limit_mb a memory blow-up.
exec fuzz/.work/manifest-fuzzer fuzz/.work/corpus fuzz/corpus \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix=fuzz/.work/ -print_final_stats=1 "$@"
