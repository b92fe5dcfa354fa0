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

    @Test func pushThenPullRoundTrips() async throws {
        try await withTemporaryDirectory { try await StateStoreContract.pushThenPullRoundTrips(.file(in: $0)) }
    }
}
