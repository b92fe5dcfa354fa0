#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RoomSyncCore

/// One writer at a time per state file. The lock is an `flock` on `STATE.lock`, which the kernel releases when
/// the holder dies however it dies, so a lock left by a killed process never blocks the next run. The file
/// also names the holder (command, pid, host, user, start time) for the message a second run prints.
public final class StateLock: Sendable {
    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock or fails at once naming its holder.
    public static func acquire(forState statePath: String) throws -> StateLock {
        switch try attempt(forState: statePath, holder: .current(command: "apply")) {
        case .acquired(let lock): return lock
        case .held(let who): throw locked(statePath, by: who)
        }
    }

    /// Takes the lock; when it is held, fails at once naming the holder, or with `wait` above zero tells `onWait`
    /// once who holds it and tries again until `wait` has passed.
    public static func acquire(
        forState statePath: String, holder: StateWriter, wait: Duration, onWait: @Sendable (String) -> Void
    ) async throws -> StateLock {
        let deadline = ContinuousClock.now + wait
        var told = false
        while true {
            switch try attempt(forState: statePath, holder: holder) {
            case .acquired(let lock):
                return lock
            case .held(let who):
                guard ContinuousClock.now < deadline else { throw locked(statePath, by: who, waited: wait) }
                if !told {
                    onWait(who)
                    told = true
                }
                // flock has no timed wait; polling keeps the wait cancellable and bounded.
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private enum Attempt {
        case acquired(StateLock)
        case held(String)
    }

    /// `STATE.lock` beside the file the state's writes replace: a state path that is a symlink is locked where
    /// its target is, so whoever reaches the state by another path (the target's own, another link) is held off.
    static func lockPath(forState statePath: String) -> String {
        ((try? AtomicFile.target(of: statePath)) ?? statePath) + ".lock"
    }

    private static func attempt(forState statePath: String, holder: StateWriter) throws -> Attempt {
        let path = lockPath(forState: statePath)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RoomSyncError(.cannotOpenLockFile, ["path": path, "reason": String(cString: strerror(errno))])
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return .held(readHolder(path) ?? "another roomsync")
        }
        let line = holder.description + "\n"
        ftruncate(descriptor, 0)
        _ = line.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return .acquired(StateLock(descriptor: descriptor, path: path))
    }

    private static func locked(_ statePath: String, by who: String, waited: Duration = .zero) -> RoomSyncError {
        waited == .zero
            ? RoomSyncError(.stateLocked, ["state": statePath, "holder": who])
            : RoomSyncError(.stateLockedGaveUp, ["state": statePath, "holder": who, "seconds": waited.seconds])
    }

    /// Who holds the lock of the state at `statePath`, or `nil` when nobody does (`doctor`). Opens the lock file
    /// only if it exists and never writes it: the probe takes and drops a shared lock.
    public static func holder(forState statePath: String) -> String? {
        let path = lockPath(forState: statePath)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return holder.flatMap { $0.isEmpty ? nil : $0 } ?? "another roomsync run"
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
