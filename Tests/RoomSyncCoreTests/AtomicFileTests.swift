#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RoomSyncCore
import RoomSyncCoreTestSupport
import Testing

/// SPEC section 7: a file-system failure is one line naming the file and the operating system's reason.
@Suite struct AtomicFileTests {
    @Test(arguments: [
        (ENOSPC, "cannot write .roomsync/state.json: No space left on device"),
        (EROFS, "cannot write .roomsync/state.json: Read-only file system"),
        (EACCES, "cannot write .roomsync/state.json: Permission denied"),
        (ENOTDIR, "cannot write .roomsync/state.json: Not a directory"),
    ])
    func errorsNameTheFileAndTheReason(code: Int32, text: String) {
        let error = FileSystemError(.write, path: ".roomsync/state.json", code: code)
        #expect(error.description == text)
        #expect(error.error(about: .state).message == text.replacingOccurrences(of: "write ", with: "write state "))
    }

    @Test func writesAndReplacesAndLeavesNoTemporaryFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("nested/file.json").path
            try AtomicFile.write(Data("one".utf8), to: path)
            try AtomicFile.write(Data("two".utf8), to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("nested").path) == ["file.json"])
        }
    }

    /// SPEC 7: a path that is a symlink is written through to its target: links to links, relative links from
    /// their own folder, a target that does not exist yet. A loop is one line naming the path.
    @Test func aSymlinkIsWrittenThroughToTheFileItNames() async throws {
        try await withTemporaryDirectory { directory in
            let manager = FileManager.default
            let shared = directory.appendingPathComponent("shared")
            try manager.createDirectory(at: shared, withIntermediateDirectories: true)
            let target = shared.appendingPathComponent("state.json").path
            let middle = directory.appendingPathComponent("middle.json").path
            let link = directory.appendingPathComponent("link.json").path
            try manager.createSymbolicLink(atPath: middle, withDestinationPath: "shared/state.json")
            try manager.createSymbolicLink(atPath: link, withDestinationPath: middle)
            #expect(try AtomicFile.target(of: link) == directory.path + "/shared/state.json")

            try AtomicFile.write(Data("one".utf8), to: link)
            try AtomicFile.write(Data("two".utf8), to: link)
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "two")
            #expect(try manager.destinationOfSymbolicLink(atPath: link) == middle, "the link was replaced")
            #expect(try manager.destinationOfSymbolicLink(atPath: middle) == "shared/state.json")
            #expect(try manager.contentsOfDirectory(atPath: shared.path) == ["state.json"])

            let loop = directory.appendingPathComponent("loop.json").path
            try manager.createSymbolicLink(atPath: loop, withDestinationPath: loop)
            #expect(throws: FileSystemError(.write, path: loop, code: ELOOP)) {
                try AtomicFile.write(Data("x".utf8), to: loop)
            }
        }
    }

    @Test func aFolderThatIsAFileIsNamedWithItsReason() async throws {
        try await withTemporaryDirectory { directory in
            try Data("x".utf8).write(to: directory.appendingPathComponent("blocker"))
            let path = directory.appendingPathComponent("blocker/sub/file.json").path
            #expect(throws: FileSystemError(.write, path: path, code: ENOTDIR)) {
                try AtomicFile.write(Data("x".utf8), to: path)
            }
        }
    }

    @Test func aTargetThatIsAFolderIsNamedAndCleanedUp() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taken").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            #expect(throws: FileSystemError(.write, path: path, code: EISDIR)) {
                try AtomicFile.write(Data("x".utf8), to: path)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["taken"])
        }
    }

    @Test func readingSaysWhyOrThatTheFileIsMissing() async throws {
        try await withTemporaryDirectory { directory in
            #expect(try AtomicFile.read(directory.appendingPathComponent("missing").path) == nil)
            #expect(throws: FileSystemError(.read, path: directory.path, code: EISDIR)) {
                try AtomicFile.read(directory.path)
            }
            let file = directory.appendingPathComponent("file").path
            try AtomicFile.write(Data("content".utf8), to: file)
            #expect(try AtomicFile.read(file) == Data("content".utf8))
        }
    }
}
