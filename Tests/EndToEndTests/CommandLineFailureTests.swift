#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// SPEC sections 3 and 7: every error exits 1, usage errors included, and a file-system failure is one line
/// naming the file and the operating system's reason.
@Suite struct CommandLineFailureTests {
    @Test(arguments: [
        (["plan", "--bogus"], "Error: Unknown option '--bogus'"),
        (["apply", "--parallelism", "0"], "Error: --parallelism must be between 1 and 64"),
        (["plan", "--format", "xml"], "Error: The value 'xml' is invalid for '--format <format>'"),
        (["drift", "--parallelism", "x"], "Error: Unknown option '--parallelism'"),
        (["frobnicate"], "Error: Unexpected argument 'frobnicate'"),
    ])
    func usageErrorsExitOne(arguments: [String], message: String) async throws {
        try await withTemporaryDirectory { directory in
            let result = try await RoomSyncBinary.run(arguments, in: directory)
            #expect(result.status == 1, "\(result)")
            // ArgumentParser's own text, usage line and all.
            #expect(result.stderr.hasPrefix(message), "\(result)")
            #expect(result.stderr.contains("Usage: roomsync"), "\(result)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func helpAndVersionStillExitZero() async throws {
        try await withTemporaryDirectory { directory in
            let help = try await RoomSyncBinary.run(["plan", "--help"], in: directory)
            #expect(help.status == 0, "\(help)")
            #expect(help.stdout.contains("USAGE: roomsync plan"))
            let version = try await RoomSyncBinary.run(["--version"], in: directory)
            #expect(version.status == 0, "\(version)")
            // A plain `swift build` (as the tests' binary is) does not know its commit; scripts/package.sh injects it.
            #expect(version.stdout == "0.1.0 (commit unknown)\n")
        }
    }

    @Test func applyWithAStateThatIsADirectoryIsOneLine() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(3)))
            try FileManager.default.createDirectory(
                at: ws.directory.appendingPathComponent("state-dir"), withIntermediateDirectories: true)
            let apply = try await ws.roomsync("apply", "--auto-approve", "--state", "state-dir")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderrWithoutWaitingNotes == "error: cannot read state state-dir: Is a directory\n", "\(apply)")
            #expect(try await ws.liveRooms().isEmpty)
        }
    }

    @Test func anUnreadableSecretFileSaysWhy() async throws {
        try await withTemporaryDirectory { directory in
            try manifest(rooms: numberedRooms(1)).write(
                to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("secret-dir"), withIntermediateDirectories: true)
            for (file, reason) in [("missing.txt", "No such file or directory"), ("secret-dir", "Is a directory")] {
                let plan = try await RoomSyncBinary.run(
                    ["plan", "--corp-secret-file", file], in: directory, environment: ["WECOM_CORP_ID": "ww1"])
                #expect(plan.status == 1, "\(plan)")
                #expect(plan.stderr == "error: cannot read the corp secret file \(file): \(reason)\n", "\(plan)")
            }
        }
    }

    @Test func outputFilesInAFolderThatIsAFileAreOneLine() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(2)))
            try ws.write("not a folder\n", to: "blocker")
            let plan = try await ws.roomsync("plan", "--out", "blocker/plan.json")
            #expect(plan.status == 1, "\(plan)")
            #expect(plan.stderrWithoutWaitingNotes == "error: cannot write blocker/plan.json: Not a directory\n", "\(plan)")
            let export = try await ws.roomsync("export", "--out", "blocker/rooms.yaml")
            #expect(export.status == 1, "\(export)")
            #expect(export.stderrWithoutWaitingNotes == "error: cannot write blocker/rooms.yaml: Not a directory\n", "\(export)")
            // Nothing was exported, so the state was not written either.
            #expect(!FileManager.default.fileExists(atPath: ws.statePath.path))
        }
    }

    @Test func aStateFolderLostMidApplyIsOneLineForEveryOperationInFlight() async throws {
        // Portable where mounting is not: the state's folder becomes a file while four adds are in flight (the
        // sandbox holds each answer 300 ms), so each of them fails to record, for one reason, said once.
        try await withWorkspace(SandboxServer.Options(latencyMs: 300)) { ws in
            try ws.write(manifest(rooms: numberedRooms(12)))
            let folder = ws.directory.appendingPathComponent("st")
            let running = try RoomSyncBinary.start(
                ["apply", "--auto-approve", "--parallelism", "4", "--state", "st/state.json"], in: ws.directory,
                environment: ws.environment)
            let blocker = ws.directory.appendingPathComponent("blocker")
            try Data("not a folder any more\n".utf8).write(to: blocker)
            try await onOwnThread {
                while await ws.sandbox.store.callCount("add") == 0, running.process.isRunning {
                    try await Task.sleep(for: .milliseconds(5))
                }
                // Renamed away, not removed: removing a folder roomsync is writing in races its writes (seen as
                // EPERM), and a rename is one step. The file takes its place a moment later, long before an answer.
                try FileManager.default.moveItem(at: folder, to: ws.directory.appendingPathComponent("st-gone"))
                guard rename(blocker.path, folder.path) == 0 else { throw POSIXError(.EIO) }
            }
            let apply = try await ws.finish(running)
            #expect(apply.status == 1, "\(apply)")
            let reasons = apply.stderr.split(separator: "\n").filter { $0.contains("Not a directory") }
            #expect(reasons.count == 1, "\(apply)")
            #expect(reasons.first?.hasPrefix("error: cannot write state st/state.json: Not a directory") == true, "\(apply)")
            #expect(!(apply.stdout + apply.stderr).contains("NSCocoaErrorDomain"), "\(apply)")
        }
    }

    @Test(.enabled(if: TinyDisk.isAvailable, "needs permission to mount a tmpfs (root, in a container that allows it)"))
    func aFullDiskDuringApplyIsOneLineAndTheStateStaysValid() async throws {
        try await withWorkspace { ws in
            try await TinyDisk.with(size: "64k") { disk in
                let state = disk.appendingPathComponent("state.json").path
                try ws.write(manifest(rooms: numberedRooms(150)))
                let apply = try await ws.run(["apply", "--auto-approve", "--parallelism", "4", "--state", state])
                #expect(apply.status == 1, "\(apply)")
                let errorLines = apply.stderr.split(separator: "\n")
                let reasons = errorLines.filter { $0.contains("No space left on device") }
                #expect(reasons.count == 1, "\(apply)")
                #expect(reasons.first?.hasPrefix("error: cannot write state \(state): No space left on device") == true, "\(apply)")
                #expect(!apply.stderr.contains("NSCocoaErrorDomain"))
                #expect(!apply.stdout.contains("NSCocoaErrorDomain"))
                // Whatever was written is a valid state; the next run, with room on the disk, converges.
                let partial = try StateFile.load(state)
                #expect(partial.rooms.count > 0 && partial.rooms.count < 150)
                try TinyDisk.resize(disk, to: "4m")
                let again = try await ws.run(["apply", "--auto-approve", "--state", state])
                #expect(again.status == 0, "\(again)")
                let final = try StateFile.load(state)
                let live = try await ws.liveRooms()
                #expect(final.rooms.count == 150 && live.count == 150)
                #expect(final.managedIDs == Set(live.map(\.meetingroomID)))
                #expect(final.pendingAdds.isEmpty)
            }
        }
    }

    @Test(.enabled(if: TinyDisk.isAvailable, "needs permission to mount a tmpfs (root, in a container that allows it)"))
    func aReadOnlyFolderIsOneLine() async throws {
        try await withWorkspace { ws in
            try await TinyDisk.with(size: "1m") { disk in
                let state = disk.appendingPathComponent("state.json").path
                try ws.write(manifest(rooms: numberedRooms(2)))
                #expect(try await ws.run(["apply", "--auto-approve", "--state", state]).status == 0)
                try ws.write(manifest(rooms: numberedRooms(6)))
                try TinyDisk.remount(disk, options: "ro")
                let apply = try await ws.run(["apply", "--auto-approve", "--state", state])
                #expect(apply.status == 1, "\(apply)")
                #expect(apply.stderr.split(separator: "\n").count == 1, "\(apply)")
                #expect(apply.stderr.contains(": Read-only file system\n"), "\(apply)")
                #expect(try StateFile.load(state).rooms.count == 2)
            }
        }
    }
}

/// A tmpfs of a given size, mounted for one test: the one portable way to fill a disk or make a folder read-only
/// for root, whom permission bits do not stop.
enum TinyDisk {
    static let isAvailable: Bool = {
        guard getuid() == 0 else { return false }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roomsync-tmpfs-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
            (try? run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", directory.path)) != nil
        else { return false }
        return (try? run("umount", directory.path)) != nil
    }()

    static func with<T>(size: String, _ body: (URL) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { parent in
            let mountPoint = parent.appendingPathComponent("disk")
            try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
            try run("mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint.path)
            do {
                let result = try await body(mountPoint)
                try run("umount", mountPoint.path)
                return result
            } catch {
                _ = try? run("umount", mountPoint.path)
                throw error
            }
        }
    }

    static func resize(_ mountPoint: URL, to size: String) throws {
        try remount(mountPoint, options: "rw,size=\(size)")
    }

    static func remount(_ mountPoint: URL, options: String) throws {
        try run("mount", "-o", "remount,\(options)", mountPoint.path)
    }

    @discardableResult
    static func run(_ arguments: String...) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(arguments.joined(separator: " ")) failed"])
        }
        return process.terminationStatus
    }
}
