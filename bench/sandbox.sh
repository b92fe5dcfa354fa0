# Sourced by the benchmarks: served sandboxes on free loopback ports, stopped on every exit path. Needs $roomsync
# (the binary) when a sandbox is started; each script's EXIT trap calls stop_sandboxes.

servers=()

# start_sandbox LOG [OPTIONS…]: starts `roomsync sandbox serve` on a free loopback port with OPTIONS, its stdout
# and stderr in LOG, and sets $endpoint.
start_sandbox() {
    local log="$1"
    shift
    : > "$log"
    "$roomsync" sandbox serve --host 127.0.0.1 --port 0 "$@" > "$log" 2>&1 &
    servers+=($!)
    for _ in $(seq 600); do
        endpoint=$(sed -n 's/^listening on //p' "$log" | head -1)
        [ -n "$endpoint" ] && return 0
        kill -0 "${servers[-1]}" 2> /dev/null || break
        sleep 0.1
    done
    echo "error: the sandbox did not start:" >&2
    cat "$log" >&2
    exit 1
}

# Stops every sandbox started: SIGTERM for the graceful shutdown (which writes the closing `sandbox served …`
# line), then, for a server signalled while still starting, SIGKILL after 5 s.
stop_sandboxes() {
    for pid in "${servers[@]}"; do
        kill "$pid" 2> /dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    done
    servers=()
}

# timed_apply BINARY PARALLELISM WORLD LOG: the benchmarks' apply: BINARY applies WORLD/rooms.yaml (1,000 rooms) with
# no state before it, at --parallelism PARALLELISM, against a fresh in-memory sandbox answering after 20 ms, its
# output in LOG; sets $apply_ms to how long it took in milliseconds. Exits if it fails or adds fewer than 1,000 rooms.
timed_apply() {
    local binary="$1" parallelism="$2" world="$3" log="$4" start end
    rm -f "$world/state.json"
    start_sandbox "$world/server.log" --data :memory: --latency-ms 20
    start=$(date +%s%N)
    "$binary" apply --endpoint "$endpoint" --state "$world/state.json" --auto-approve --no-color \
        --parallelism "$parallelism" "$world/rooms.yaml" > "$log" 2>&1 \
        || { tail -5 "$log" >&2; exit 1; }
    end=$(date +%s%N)
    grep -q "^Apply complete: 1000 added" "$log" || { tail -3 "$log" >&2; exit 1; }
    apply_ms=$(( (end - start) / 1000000 ))
    stop_sandboxes
}
