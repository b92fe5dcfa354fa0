import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Synchronization
import Testing

@testable import RoomSyncEngine

/// The file backend behind the `StateStore` seam (SPEC 8): serial and lineage, compare-and-set, history, the lock.
@Suite struct FileStateStoreTests {
    static let writer = StateWriter(host: "test-host", pid: 42, user: "tester", command: "apply")

    @Test func aFileWithoutSerialOrLineageIsReadAndUpgradedOnItsFirstWrite() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            // A state file as the previous version wrote it.
            try #"{"format_version":1,"pending_adds":[],"rooms":{},"target":{"endpoint":"sandbox:x"}}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            let store = FileStateStore(path: path)
            let old = try await store.load()
            #expect(old.serial == 0)
            #expect(old.lineage == nil)
            let recorder = StateRecorder(state: old, store: store, writer: Self.writer)
            try await recorder.record(key: "a", meetingroomID: 1, protect: false, applied: Fixture.live(1, name: "A"))
            let upgraded = try await store.load()
            #expect(upgraded.serial == 1)
            #expect(upgraded.lineage?.count == 36)
            #expect(upgraded.rooms["a"]?.meetingroomID == 1)
        }
    }

    @Test func everyWriteMovesTheSerialOnAndAStaleStepIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileStateStore(path: directory.appendingPathComponent("state.json").path)
            let state = try await store.load()
            let first = state.nextStep()
            try await store.commit(first, changes: [], by: Self.writer)
            // A second writer that started from the same serial loses.
            await #expect(throws: RoomSyncError.self) { try await store.commit(state.nextStep(), changes: [], by: Self.writer) }
            try await store.commit(first.nextStep(), changes: [], by: Self.writer)
            #expect(try await store.load().serial == 2)
            #expect(try await store.load().lineage == first.lineage)
        }
    }

    @Test func theHistoryNamesWhoDidWhatNewestFirst() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileStateStore(path: directory.appendingPathComponent("state.json").path)
            let recorder = StateRecorder(state: try await store.load(), store: store, writer: Self.writer)
            try await recorder.record(key: "lobby", meetingroomID: 7, protect: false, applied: Fixture.live(7, name: "Lobby"))
            try await recorder.record(key: "hall", meetingroomID: 8, protect: false, applied: Fixture.live(8, name: "Hall"))
            try await recorder.forget(key: "lobby")
            let all = try await store.history(key: nil, limit: 10)
            #expect(all.map(\.action) == ["delete", "add", "add"])
            let lobby = try await store.history(key: "lobby", limit: 10)
            #expect(lobby.map(\.meetingroomIDBefore) == [7, nil])
            #expect(lobby.map(\.meetingroomIDAfter) == [nil, 7])
            let who = try #require(lobby.first?.writer)
            #expect([who.host, "\(who.pid)", who.user, who.command] == ["test-host", "42", "tester", "apply"])
            #expect(try await store.history(key: nil, limit: 1).count == 1)
        }
    }

    @Test func aSecondLockFailsAtOnceNamingTheHolderOrWaitsForIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let store = FileStateStore(path: path)
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await store.withLock(Self.writer, wait: .zero, onWait: { _ in }) {
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            var held = holding.stream.makeAsyncIterator()
            await held.next()
            let second = StateWriter(host: "other", pid: 43, user: "tester", command: "apply")
            await #expect {
                try await store.withLock(second, wait: .zero, onWait: { _ in }) {}
            } throws: { error in
                "\(error)".contains("is locked by roomsync apply (pid 42 on test-host, user tester")
            }
            // With a wait, the second says once who holds the lock, then gets it when the holder lets go.
            let told = Mutex<[String]>([])
            let waiting = Task {
                try await store.withLock(second, wait: .seconds(60), onWait: { line in told.withLock { $0.append(line) } }) {}
            }
            while told.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
            release.continuation.yield()
            try await holder.value
            try await waiting.value
            #expect(told.withLock { $0.count } == 1)
            #expect(told.withLock { $0.first?.contains("pid 42") } == true)
        }
    }
}
