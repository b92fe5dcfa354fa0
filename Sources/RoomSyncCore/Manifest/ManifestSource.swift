#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Turns the paths a user gave into manifest files and their bytes. Every failure is a located one-line
/// diagnostic (`PATH:1:1`, as there is no better position), never a throw or a trap.
enum ManifestSource {
    /// The files a path stands for: itself, or the `*.yaml`/`*.yml` files of a directory in sorted order
    /// (not recursive: a directory of manifests is one flat set, like `kubectl apply -f DIR`). Only directories
    /// are passed over: an entry that cannot be read (a dangling symlink, no permission) stays, so reading it is
    /// an error naming it. Skipped, its rooms would be planned for deletion.
    static func files(for path: String) -> Result<[String], Diagnostic> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(.error(at: start(of: path), LocalizedText(.diagNoSuchFile)))
        }
        guard isDirectory.boolValue else { return .success([path]) }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            return .failure(.error(at: start(of: path), LocalizedText(.diagCannotListDirectory, ["reason": reason(errno)])))
        }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let manifests = entries
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
            .sorted()
            .map { prefix + $0 }
            .filter { entry in
                var isDirectory: ObjCBool = false
                return !(FileManager.default.fileExists(atPath: entry, isDirectory: &isDirectory) && isDirectory.boolValue)
            }
        guard !manifests.isEmpty else {
            return .failure(.error(at: start(of: path), LocalizedText(.diagNoYAMLFiles)))
        }
        return .success(manifests)
    }

    /// A file's content, read into memory: into an array, or, for a big file, into memory of its own whose pages
    /// `ManifestReader` drops as the reading goes on (`ReleasableBytes`).
    enum Contents {
        case read([UInt8])
        case releasable(ReleasableBytes)
    }

    /// Files from this size are read into releasable memory: those whose rooms are decoded in batches as they are read.
    static let releasableFrom = YAMLParser.defaultRoomBatchesFrom

    /// The whole file, read with POSIX calls so that failures can say why (`Permission denied`). Read once, at
    /// the start, as a file a user may be editing must be (a mapping would read each page when first touched, and
    /// a file cut short meanwhile would kill the process with SIGBUS).
    static func contents(of path: String, releasableFrom: Int = releasableFrom) -> Result<Contents, Diagnostic> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT, let target = danglingTarget(path) {
                return .failure(.error(at: start(of: path), LocalizedText(.diagDanglingSymlink, ["target": target])))
            }
            return .failure(.error(at: start(of: path), LocalizedText(.diagCannotReadFile, ["reason": reason(code)])))
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0, Int(info.st_size) >= releasableFrom,
           let bytes = ReleasableBytes(reading: fd, count: Int(info.st_size)) {
            return .success(.releasable(bytes))
        }
        // A file whose size changed while it was read is read again, the usual way.
        _ = lseek(fd, 0, SEEK_SET)
        return readAll(fd, path: path).map(Contents.read)
    }

    private static func readAll(_ fd: Int32, path: String) -> Result<[UInt8], Diagnostic> {
        var info = stat()
        var bytes: [UInt8] = []
        // The size fstat gives is read straight into the array; whatever follows (a file that grew, a pipe or a
        // /proc file that reports 0) comes in chunks.
        if fstat(fd, &info) == 0, info.st_size > 0 {
            let expected = Int(info.st_size)
            var failure: Int32 = 0
            bytes = [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
                while initialized < expected {
                    let n = read(fd, buffer.baseAddress! + initialized, expected - initialized)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if n == 0 { return }
                    initialized += n
                }
            }
            if failure != 0 { return .failure(.error(at: start(of: path), LocalizedText(.diagCannotReadFile, ["reason": reason(failure)]))) }
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.error(at: start(of: path), LocalizedText(.diagCannotReadFile, ["reason": reason(errno)])))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return .success(bytes)
    }

    /// Where `path` points, when it is a symbolic link (whose target then is missing, as opening it failed).
    private static func danglingTarget(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return nil }
        return try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    static func start(of path: String) -> SourceLocation {
        SourceLocation(file: path, line: 1, column: 1)
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A big file's bytes in anonymous memory of their own, whose pages can be dropped once read
/// (`release(before:)`): they then read as zeros, so whoever drops them must not read there again.
final class ReleasableBytes: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    private var released = 0

    /// Exactly `count` bytes from `fd`, or nil (the file changed size, a read failed, no memory).
    init?(reading fd: Int32, count: Int) {
        guard let region = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              region != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        let base = region.assumingMemoryBound(to: UInt8.self)
        var filled = 0
        while filled < count {
            let n = read(fd, base + filled, count - filled)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        var more: UInt8 = 0
        guard filled == count, read(fd, &more, 1) == 0 else {
            munmap(region, count)
            return nil
        }
        bytes = UnsafeBufferPointer(start: base, count: count)
        _ = madvise(region, count, MADV_SEQUENTIAL)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count)
    }

    /// Drops the whole pages before `offset` from memory.
    func release(before offset: Int) {
        released = MappedFile.dropPages(of: bytes.baseAddress!, count: bytes.count, from: released, before: offset)
    }
}
