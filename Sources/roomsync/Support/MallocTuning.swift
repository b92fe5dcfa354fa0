import CMalloc

/// glibc's allocator, set for a command that builds a large model once and exits.
///
/// By default glibc gives every allocation above 128 KB (a threshold that then adapts) its own `mmap` and returns
/// freed memory at the top of the heap to the kernel, so each growth of a big array (the YAML tree, the text arena,
/// the rooms, the list's answer) maps fresh pages that fault in zeroed, and memory freed by one phase is unmapped
/// just before the next one asks for as much again. Allocations up to 8 MB now come from the heap, which grows
/// 4 MB at a time and keeps what is freed: validate of 10,000 rooms spends about a quarter less time in the kernel.
/// Bigger allocations (a state or list of 100,000 rooms) still get their own mapping and go back when freed: with
/// 256 MB and 64 MB the same settings saved no more time and kept some 70 MB more at the peak of a plan of
/// 100,000 rooms (bench/PROFILE.md).
///
/// Two arenas for all threads: a plan reads the manifests, the state and the list on threads of their own, and
/// with an arena per thread (glibc makes up to eight per core) the memory one thread frees (a piece's events, a
/// batch of rooms) stays in its arena while another thread's grows. Two held 15-20 MB less at the peak of a plan
/// of 100,000 rooms (190-196 MB against 210-212 MB), as one did (181-194 MB); one lock for every thread cost
/// validate of 10,000 rooms some CPU time, two halve that contention (bench/PROFILE.md).
enum MallocTuning {
    static func forOneShotCommand() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 8 << 20)
        _ = mallopt(M_TOP_PAD, 4 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
        _ = mallopt(M_ARENA_MAX, 2)
        #endif
    }
}
