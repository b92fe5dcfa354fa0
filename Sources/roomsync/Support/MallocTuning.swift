import CMalloc

/// glibc's allocator, set for a command that builds a large model once and exits.
///
/// By default glibc gives every allocation above 128 KB its own `mmap` and returns freed memory at the top of the
/// heap to the kernel, so each growth of a big array (the YAML tree, the text arena, the rooms, the list's answer)
/// maps fresh pages that fault in zeroed, and memory freed by one phase is unmapped just before the next one asks
/// for as much again. Served from the heap and kept, it is reused: reading 10,000 rooms spends about a quarter
/// less time in the kernel and ~10% less in all (bench/PROFILE.md). Peak memory is what the largest phase needs
/// either way; only what would have been handed back early is kept until exit.
enum MallocTuning {
    static func forOneShotCommand() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
        _ = mallopt(M_TOP_PAD, 64 << 20)
        #endif
    }
}
