#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One apply at a time per state file. The lock is an `flock` on `STATE.lock`, which the kernel releases when
/// the holder dies however it dies, so a lock left by a killed process never blocks the next run. The file
/// also names the holder (pid, host, start time) for the message a second apply prints.
public final class StateLock: Sendable {
    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock or fails at once naming its holder.
    public static func acquire(forState statePath: String) throws -> StateLock {
        let path = statePath + ".lock"
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EngineError("cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            let who = readHolder(path) ?? "another process"
            throw EngineError(
                "state \(statePath) is locked by another roomsync apply (\(who)); wait for it to finish")
        }
        let holder = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), started \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(descriptor, 0)
        _ = holder.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return StateLock(descriptor: descriptor, path: path)
    }

    /// The holder writes its line right after it takes the lock; a reader that comes in between waits a moment
    /// for it rather than print an anonymous message.
    private static func readHolder(_ path: String) -> String? {
        for _ in 0..<50 {
            if let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines), !holder.isEmpty
            {
                return holder
            }
            usleep(2_000)
        }
        return nil
    }

    deinit {
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
