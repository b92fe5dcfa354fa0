import CMalloc
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
/// With big inputs, two arenas for all threads: a plan reads the manifests, the state and the list on threads of
/// their own, and with an arena per thread (glibc makes up to eight per core) the memory one thread frees (a
/// piece's events, a batch of rooms) stays in its arena while another thread's grows. Two held 15-20 MB less at
/// the peak of a plan of 100,000 rooms (190-196 MB against 210-212 MB). But their locks cost validate of 10,000
/// rooms time (its fastest run 86 ms before, 105 ms with two arenas, in bench/run.sh), so they are kept for
/// inputs where memory matters: files named on the command line (manifests, directories of them, a state) of
/// `bigInputBytes` or more in all (bench/PROFILE.md).
enum MallocTuning {
    static func forOneShotCommand(arguments: [String]) {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 8 << 20)
        _ = mallopt(M_TOP_PAD, 4 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
        if inputBytes(namedIn: arguments) >= bigInputBytes { _ = mallopt(M_ARENA_MAX, 2) }
        #endif
    }

    /// Some 25,000 rooms' state and manifest.
    static let bigInputBytes = 16 << 20

    /// The bytes of the regular files the arguments name (an option's value too, `--state PATH` or `--state=PATH`),
    /// and of the `*.yaml`/`*.yml` files in the directories they name.
    static func inputBytes(namedIn arguments: [String]) -> Int {
        var total = 0
        for argument in arguments {
            let path = argument.hasPrefix("--") ? argument.split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init) : argument
            guard let path, !path.isEmpty else { continue }
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFREG {
                total += Int(info.st_size)
            } else if (info.st_mode & S_IFMT) == S_IFDIR, let directory = opendir(path) {
                defer { closedir(directory) }
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
                    var file = stat()
                    if stat(path + "/" + name, &file) == 0, (file.st_mode & S_IFMT) == S_IFREG { total += Int(file.st_size) }
                }
            }
        }
        return total
    }
}
