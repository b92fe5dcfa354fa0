#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes files so that a reader, or a process killed half-way, only ever sees the old or the new content:
/// write a temporary sibling, flush it to disk, rename it over the target, then flush the folder so the rename
/// itself survives a power cut. Failures are `FileSystemError`s naming the target and the system's reason.
///
/// A path that is a symbolic link is written through to the file it names (SPEC 7): renaming over the link itself
/// would replace it with a file and leave its target, which others read, with the old content.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(FileSystemError) {
        let failure = data.withUnsafeBytes { buffer -> FileSystemError? in
            do throws(FileSystemError) {
                try write([buffer], to: path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// `write`, of the concatenation of `parts`, without joining them in memory first (`writev`): a file of many
    /// pieces kept apart (the state's rooms) is written as it is held.
    public static func write(_ parts: [UnsafeRawBufferPointer], to path: String) throws(FileSystemError) {
        func failure(_ code: Int32) -> FileSystemError { FileSystemError(.write, path: path, code: code) }
        // The temporary file goes beside the file that is replaced, so that the rename stays in one file system.
        let target = try target(of: path)
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        if let code = createDirectories(directory) { throw failure(code) }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(errno) }
        var code = writeAll(descriptor, parts)
        // Without fsync a crash right after rename can leave an empty file under the new name. tmpfs and some
        // file systems report a full disk only here.
        if code == 0, fsync(descriptor) != 0 { code = errno }
        if close(descriptor) != 0, code == 0 { code = errno }
        if code == 0, rename(temporary, target) != 0 { code = errno }
        guard code == 0 else {
            unlink(temporary)
            throw failure(code)
        }
        // The rename is an entry in the folder: flush the folder too, or a crash may bring the old file back.
        // A folder that cannot be opened for this (some network file systems) already holds the new file.
        let folder = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// The file a write of `path` replaces: `path`, or when it is a symbolic link the file it names, links to links
    /// followed (a relative link from its own folder). The target need not exist yet. The lock of a state is taken
    /// beside this file too, so two links to one state share one lock.
    public static func target(of path: String) throws(FileSystemError) -> String {
        var current = path
        // As many links as the system follows in one path before it says ELOOP.
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = buffer.withUnsafeMutableBytes { readlink(current, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1) }
            guard count >= 0 else { throw FileSystemError(.write, path: path, code: errno) }
            let destination = String(decoding: buffer[0..<count], as: UTF8.self)
            let folder = (current as NSString).deletingLastPathComponent
            current = destination.hasPrefix("/") || folder.isEmpty ? destination : folder + "/" + destination
        }
        throw FileSystemError(.write, path: path, code: ELOOP)
    }

    /// The file's content mapped into memory (read, for what cannot be mapped), or `nil` when it does not exist.
    /// For big files read once from start to end (the state): a reader hands back what it has read with
    /// `MappedFile.release(before:)`, so the file never needs to be resident as a whole, and there is no copy.
    public static func map(_ path: String) throws(FileSystemError) -> MappedFile? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(.read, path: path, code: errno)
        }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > 0,
            let address = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0),
            address != UnsafeMutableRawPointer(bitPattern: -1)
        {
            close(descriptor)
            _ = madvise(address, Int(status.st_size), MADV_SEQUENTIAL)
            return MappedFile(mapped: UnsafeRawBufferPointer(start: address, count: Int(status.st_size)))
        }
        close(descriptor)
        // Empty, or not a regular file (a pipe, /dev/stdin): read as ever.
        return try read(path).map(MappedFile.init(data:))
    }

    /// Whether writing `path` would replace the file `other` (which may not exist yet): the same file when both
    /// exist (through symlinks and other spellings), else the same place once the folders' symlinks are resolved.
    public static func isSameFile(_ path: String, _ other: String) -> Bool {
        var first = stat(), second = stat()
        if stat(path, &first) == 0, stat(other, &second) == 0 {
            return first.st_dev == second.st_dev && first.st_ino == second.st_ino
        }
        func place(_ path: String) -> String {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let folder = url.deletingLastPathComponent().path
            guard let resolved = realpath(folder, nil) else { return url.path }
            defer { free(resolved) }
            return String(cString: resolved) + "/" + url.lastPathComponent
        }
        return place(path) == place(other)
    }

    /// The file's content, or `nil` when it does not exist.
    public static func read(_ path: String) throws(FileSystemError) -> Data? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(.read, path: path, code: errno)
        }
        defer { close(descriptor) }
        var data = Data()
        // A state of 100,000 rooms is tens of megabytes: size the buffer once and read in large steps.
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_size > 0 { data.reserveCapacity(Int(status.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(.read, path: path, code: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// Writes every byte of `parts`, in order, up to `IOV_MAX` pieces a call, resuming after short writes;
    /// returns 0, or the errno that stopped it.
    private static func writeAll(_ descriptor: Int32, _ parts: [UnsafeRawBufferPointer]) -> Int32 {
        var vectors = parts.filter { $0.count > 0 }.map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        // IOV_MAX (1024 on Linux and macOS) is not imported into Swift; ask, or use POSIX's least.
        let limit = sysconf(Int32(_SC_IOV_MAX))
        let batch = limit > 0 ? limit : 16
        return vectors.withUnsafeMutableBufferPointer { vectors in
            var first = 0
            while first < vectors.count {
                let written = writev(descriptor, vectors.baseAddress! + first, Int32(min(batch, vectors.count - first)))
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                // Skip what was written whole; a piece written in part continues where the write stopped.
                var left = written
                while first < vectors.count, left >= vectors[first].iov_len {
                    left -= vectors[first].iov_len
                    first += 1
                }
                if left > 0 {
                    vectors[first].iov_base += left
                    vectors[first].iov_len -= left
                }
            }
            return 0
        }
    }

    /// `mkdir -p`; returns the errno of the step that failed.
    private static func createDirectories(_ path: String) -> Int32? {
        guard !path.isEmpty, path != "/" else { return nil }
        var status = stat()
        if stat(path, &status) == 0 {
            return (status.st_mode & S_IFMT) == S_IFDIR ? nil : ENOTDIR
        }
        guard errno == ENOENT else { return errno }
        if let code = createDirectories((path as NSString).deletingLastPathComponent) { return code }
        if mkdir(path, 0o755) != 0, errno != EEXIST { return errno }
        return nil
    }
}

/// A file operation that failed, with the operating system's reason: `cannot write PATH: No space left on device`.
public struct FileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Operation: String, Sendable, Hashable {
        case read, write
    }

    public var operation: Operation
    public var path: String
    /// The `errno` the system call set.
    public var code: Int32

    public init(_ operation: Operation, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The operating system's words for `code` (`strerror`).
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { text.rendered() }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

/// A file's bytes from `AtomicFile.map`: mapped read-only and private (unmapped when this goes), or read into
/// memory when the file could not be mapped.
public final class MappedFile: @unchecked Sendable {
    private let mapped: UnsafeRawBufferPointer?
    private let data: Data?
    private var released = 0

    init(mapped: UnsafeRawBufferPointer) {
        self.mapped = mapped
        data = nil
    }

    init(data: Data) {
        mapped = nil
        self.data = data
    }

    deinit {
        if let mapped, let base = mapped.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapped.count) }
    }

    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let mapped { return try body(mapped) }
        return try data!.withUnsafeBytes(body)
    }

    /// The content as `Data` (a copy when mapped), for readers that need one.
    public var contents: Data {
        if let data { return data }
        return Data(mapped!)
    }

    /// Drops the whole pages before `offset` from memory: they were read and are not needed again. They are
    /// still mapped, so touching them again reads them back from the file.
    public func release(before offset: Int) {
        guard let mapped, let base = mapped.baseAddress else { return }
        released = Self.dropPages(of: base, count: mapped.count, from: released, before: offset)
    }

    /// Drops the whole pages of `base[from..<offset]` (offset rounded down to a page, `from` already a page
    /// boundary, as returned the time before) and returns where the dropped pages now end.
    static func dropPages(of base: UnsafeRawPointer, count: Int, from released: Int, before offset: Int) -> Int {
        let page = Int(getpagesize())
        let end = min(offset, count) / page * page
        guard end > released else { return released }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + released), end - released, MADV_DONTNEED)
        return end
    }
}
