import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

extension StateStoreFixture {
    /// Stores over one state file in `directory`: each `open` is a fresh `FileStateStore`, as each command makes.
    static func file(in directory: URL) -> StateStoreFixture {
        let path = directory.appendingPathComponent("state.json").path
        return StateStoreFixture { body in try await body(FileStateStore(path: path)) }
    }
}

/// The same store contract the PostgreSQL backend passes (SPEC 8: the same semantics and the same tests).
@Suite struct FileStateStoreContractTests {
    @Test func emptyStateLoadsEmpty() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.emptyStateLoadsEmpty(.file(in: $0)) }
    }

    @Test func commitsRoundTrip() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.commitsRoundTrip(.file(in: $0)) }
    }

    @Test func staleSerialIsRefused() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.staleSerialIsRefused(.file(in: $0)) }
    }

    @Test func historyIsNewestFirst() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.historyIsNewestFirst(.file(in: $0)) }
    }

    @Test func secondLockFailsNamingTheHolder() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.secondLockFailsNamingTheHolder(.file(in: $0)) }
    }

    @Test func lockHolderNamesTheHolderWithoutTakingIt() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.lockHolderNamesTheHolderWithoutTakingIt(.file(in: $0)) }
    }

    @Test func waitingLockRunsAfterTheHolder() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.waitingLockRunsAfterTheHolder(.file(in: $0)) }
    }

    @Test func pushKeepsTheSerialAndRefusesAnOlderStateOfTheSameLineage() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.pushKeepsTheSerialAndRefusesAnOlderStateOfTheSameLineage(.file(in: $0)) }
    }

    @Test func pushThenPullRoundTrips() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.pushThenPullRoundTrips(.file(in: $0)) }
    }

    @Test func pullsEverySerialItHad() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.pullsEverySerialItHad(.file(in: $0)) }
    }

    @Test func anEmptyStateHasOnlySerialZero() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.anEmptyStateHasOnlySerialZero(.file(in: $0)) }
    }
}

/// What only the file has: a steps file beside the state that can be lost, and a state file that can be edited by
/// hand or restored from git behind the steps' back.
@Suite struct FileStateStepsTests {
    typealias Contract = StateStoreContract

    /// Three steps on a fresh file, with a fresh store each (as three commands), and their states.
    func threeSteps(_ path: String) async throws -> [RoomSyncState] {
        var states = [RoomSyncState()]
        for (index, name) in ["A", "B", "C"].enumerated() {
            let store = FileStateStore(path: path)
            let loaded = try await store.load()
            states.append(
                try await Contract.step(store, loaded, action: "add") { $0.rooms[name.lowercased()] = Contract.room(index + 1, name) })
        }
        return states
    }

    @Test func aStateRestoredFromAnOlderCopyRewindsThroughItsNewSteps() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let old = try await threeSteps(path)
            // `git checkout` of the file at serial 1; serials 2 and 3 are written again, differently.
            try StateFile.save(old[1], to: path)
            let store = FileStateStore(path: path)
            let two = try await Contract.step(store, try await store.load(), action: "add") { $0.rooms["x"] = Contract.room(9, "X") }
            let three = try await Contract.step(store, two, action: "rm") { $0.rooms["a"] = nil }
            #expect(try await store.load(serial: 2) == two)
            #expect(try await store.load(serial: 1) == old[1])
            #expect(try await store.load(serial: 3) == three)
        }
    }

    @Test func aFileEditedByHandIsNotRewoundPast() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            var edited = try await threeSteps(path)[3]
            edited.rooms["b"] = Contract.room(2, "B edited by hand")
            try StateFile.save(edited, to: path)
            let store = FileStateStore(path: path)
            // Step 3 touched only c: serial 2 is still right; step 2 wrote the b the hand edited.
            #expect(try await store.load(serial: 2).rooms["b"]?.applied.name == "B edited by hand")
            await #expect {
                try await store.load(serial: 1)
            } throws: { error in
                let message = "\(error)"
                return message == "state \(path) cannot be taken back past serial 2: room 'b' is not what the recorded "
                    + "step left (the state was changed outside roomsync)"
            }
        }
    }

    @Test func aLostStepsFileLeavesOnlyTheCurrentSerial() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            let states = try await threeSteps(path)
            let store = FileStateStore(path: path)
            try FileManager.default.removeItem(atPath: store.stepsPath)
            #expect(try await store.load(serial: 3) == states[3])
            await #expect {
                try await store.load(serial: 2)
            } throws: { error in
                "\(error)" == "state \(path) cannot be taken back to serial 2: step 3 was not recorded; only serial 3 can be pulled"
            }
        }
    }

    /// A file from before serials existed: its first write is step 1, and serial 0 is the file as it was.
    @Test func serialZeroOfAnUpgradedFileIsTheFileAsItWas() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("state.json").path
            var old = RoomSyncState(target: Contract.target)
            old.rooms["a"] = Contract.room(1, "A")
            old.pendingAdds = [Contract.pending("p")]
            try StateFile.save(old, to: path)
            let store = FileStateStore(path: path)
            let upgraded = try await Contract.step(store, try await store.load(), action: "add") {
                $0.rooms["b"] = Contract.room(2, "B")
                $0.pendingAdds = []
            }
            #expect(upgraded.lineage != nil)
            #expect(try await store.load(serial: 0) == old)
        }
    }
}
