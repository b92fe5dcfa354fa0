import Foundation
import RoomSyncCore
import RoomSyncEngine
import Synchronization
import Testing

/// Opens stores over one fresh state. Each `open` is a separate store, as another process would have: two
/// opened at once contend for the same lock and see each other's commits.
public struct StateStoreFixture: Sendable {
    public var open: @Sendable (_ body: (any StateStore) async throws -> Void) async throws -> Void

    public init(open: @escaping @Sendable (_ body: (any StateStore) async throws -> Void) async throws -> Void) {
        self.open = open
    }
}

/// The checks every `StateStore` passes, whatever keeps the state (SPEC 8: the same semantics and tests).
public enum StateStoreContract {
    public static let target = StateTarget(endpoint: "sandbox:contract", corpID: "ww-contract")
    public static let machineA = StateWriter(host: "machine-a", pid: 101, user: "alice", command: "apply")
    public static let machineB = StateWriter(host: "machine-b", pid: 202, user: "bob", command: "state rm")

    public static func room(_ id: Int, _ name: String, protect: Bool = false) -> ManagedRoom {
        ManagedRoom(meetingroomID: id, protect: protect, applied: MeetingRoom(
                meetingroomID: id, name: name, capacity: 10, city: "深圳", building: "腾讯大厦", floor: "18F",
                equipment: [1, 3], coordinate: Coordinate(latitude: "22.540503", longitude: "113.934528"), needApproval: 0,
                range: nil))
    }

    public static func pending(_ key: String) -> PendingAdd {
        PendingAdd(
            key: key,
            request: AddMeetingRoomRequest(
                name: "\(key) room", capacity: 6, city: "深圳", building: "腾讯大厦", floor: "9F",
                coordinate: Coordinate(latitude: "22.540503", longitude: "113.934528")),
            protect: false)
    }

    /// Commits `edit` applied to `state` as one step, with the changes `between` finds.
    @discardableResult
    public static func step(
        _ store: any StateStore, _ state: RoomSyncState, action: String, by writer: StateWriter = machineA,
        _ edit: (inout RoomSyncState) -> Void
    ) async throws -> RoomSyncState {
        var next = state.nextStep()
        edit(&next)
        try await store.commit(next, changes: StateChange.between(state, next, action: action), by: writer)
        return next
    }

    public static func emptyStateLoadsEmpty(_ fixture: StateStoreFixture) async throws {
        try await fixture.open { store in
            let state = try await store.load()
            #expect(state == RoomSyncState())
            #expect(state.serial == 0 && state.lineage == nil)
            #expect(try await store.history(key: nil, limit: 10).isEmpty)
        }
    }

    public static func commitsRoundTrip(_ fixture: StateStoreFixture) async throws {
        var written = RoomSyncState()
        try await fixture.open { store in
            written = try await step(store, RoomSyncState(), action: "add") { state in
                state.target = target
                state.rooms["a"] = room(1, "Alpha")
                state.rooms["会议室/二"] = room(2, "Beta \"quoted\" \\ slash", protect: true)
                state.rooms["c"] = room(3, "Gamma")
                // Not in key order: the journal keeps the order adds were written down in.
                state.pendingAdds = [pending("z"), pending("d")]
            }
        }
        // A second store (another process) reads it back exactly.
        try await fixture.open { store in
            let loaded = try await store.load()
            #expect(loaded == written)
            #expect(loaded.serial == 1)
            #expect(loaded.lineage != nil)
            written = try await step(store, loaded, action: "change") { state in
                state.rooms["a"] = room(1, "Alpha renamed")
                state.rooms["c"] = nil
                state.pendingAdds.removeAll { $0.key == "z" }
                state.target = StateTarget(endpoint: "sandbox:contract", corpID: "ww-moved")
            }
        }
        try await fixture.open { store in
            let loaded = try await store.load()
            #expect(loaded == written)
            #expect(loaded.serial == 2)
            #expect(loaded.rooms.keys.sorted() == ["a", "会议室/二"])
            #expect(loaded.pendingAdds.map(\.key) == ["d"])
        }
    }

    public static func staleSerialIsRefused(_ fixture: StateStoreFixture) async throws {
        try await fixture.open { store in
            let first = try await step(store, RoomSyncState(), action: "add") { $0.rooms["a"] = room(1, "A") }
            // A writer that read the state before `first` landed.
            await #expect {
                try await step(store, RoomSyncState(), action: "add") { $0.rooms["b"] = room(2, "B") }
            } throws: { error in
                let message = "\(error)"
                return error is RoomSyncError && message.contains("someone else") && !message.contains("\n")
            }
            // A writer that skipped a step.
            var skipped = first.nextStep().nextStep()
            skipped.rooms["b"] = room(2, "B")
            await #expect(throws: RoomSyncError.self) {
                try await store.commit(skipped, changes: StateChange.between(first, skipped, action: "add"), by: machineA)
            }
            #expect(try await store.load() == first)
            let second = try await step(store, first, action: "add") { $0.rooms["b"] = room(2, "B") }
            #expect(try await store.load() == second)
        }
    }

    public static func historyIsNewestFirst(_ fixture: StateStoreFixture) async throws {
        try await fixture.open { store in
            var state = try await step(store, RoomSyncState(), action: "add") { state in
                state.rooms["a"] = room(1, "A")
                state.rooms["b"] = room(2, "B")
            }
            // Journal bookkeeping is not history.
            state = try await step(store, state, action: "add") { $0.pendingAdds = [pending("c")] }
            state = try await step(store, state, action: "change", by: machineB) { $0.rooms["a"] = room(1, "A2") }
            state = try await step(store, state, action: "rm", by: machineB) { $0.rooms["a"] = nil }

            let ofA = try await store.history(key: "a", limit: 10)
            #expect(ofA.map(\.action) == ["rm", "change", "add"])
            #expect(ofA.map(\.serial) == [4, 3, 1])
            #expect(ofA[0].meetingroomIDBefore == 1 && ofA[0].meetingroomIDAfter == nil)
            #expect(ofA[2].meetingroomIDBefore == nil && ofA[2].meetingroomIDAfter == 1)
            #expect(ofA[0].writer.host == "machine-b" && ofA[0].writer.pid == 202)
            #expect(ofA[0].writer.user == "bob" && ofA[0].writer.command == "state rm")
            #expect(ofA[2].writer.host == "machine-a" && ofA[2].writer.user == "alice")
            #expect(ofA[0].at >= ofA[2].at)

            let all = try await store.history(key: nil, limit: 10)
            #expect(all.count == 4)
            #expect(all.allSatisfy { $0.key != "c" })
            let latest = try await store.history(key: nil, limit: 2)
            #expect(latest.map(\.serial) == [4, 3])
            #expect(try await store.history(key: "b", limit: 10).map(\.action) == ["add"])
            #expect(try await store.history(key: "nobody", limit: 10).isEmpty)
        }
    }

    public static func secondLockFailsNamingTheHolder(_ fixture: StateStoreFixture) async throws {
        try await fixture.open { first in
            try await fixture.open { second in
                try await first.withLock(machineA, wait: .zero, onWait: { _ in }) {
                    await #expect {
                        try await second.withLock(machineB, wait: .zero, onWait: { _ in }) {}
                    } throws: { error in
                        let message = "\(error)"
                        return error is RoomSyncError && message.contains("is locked by roomsync apply (pid 101 on machine-a")
                            && message.contains("--lock-timeout") && !message.contains("\n")
                    }
                }
                // Released: the second one gets it now, and again after its own release.
                let ran = try await second.withLock(machineB, wait: .zero, onWait: { _ in }) { true }
                #expect(ran)
                #expect(try await first.withLock(machineA, wait: .zero, onWait: { _ in }) { true })
            }
        }
    }

    /// `doctor`'s question: who holds the lock, answered without taking it, while it is held and after.
    public static func lockHolderNamesTheHolderWithoutTakingIt(_ fixture: StateStoreFixture) async throws {
        try await fixture.open { first in
            try await fixture.open { probe in
                #expect(try await probe.lockHolder() == nil, "a state nobody ever locked")
                try await first.withLock(machineA, wait: .zero, onWait: { _ in }) {
                    let holder = try await probe.lockHolder()
                    #expect(holder?.hasPrefix("roomsync apply (pid 101 on machine-a, user alice, since 20") == true, "\(holder ?? "nil")")
                    #expect(try await probe.lockHolder() == holder, "asking twice changes nothing")
                    // Looking took nothing from the holder: a writer still finds it held by machine-a.
                    try await fixture.open { second in
                        await #expect {
                            try await second.withLock(machineB, wait: .zero, onWait: { _ in }) {}
                        } throws: { error in
                            "\(error)".contains("is locked by roomsync apply (pid 101 on machine-a")
                        }
                    }
                }
                #expect(try await probe.lockHolder() == nil, "released")
                // The store that looked never held the lock: it takes it at once, and is then named.
                let named = try await probe.withLock(machineB, wait: .zero, onWait: { _ in }) {
                    try await first.lockHolder()
                }
                #expect(named?.hasPrefix("roomsync state rm (pid 202 on machine-b, user bob, since 20") == true, "\(named ?? "nil")")
                #expect(try await first.lockHolder() == nil)
            }
        }
    }

    public static func waitingLockRunsAfterTheHolder(_ fixture: StateStoreFixture) async throws {
        let (held, heldSignal) = AsyncStream<Void>.makeStream()
        let (waiting, waitingSignal) = AsyncStream<String>.makeStream()
        let events = Events()
        try await fixture.open { first in
            try await fixture.open { second in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await first.withLock(machineA, wait: .zero, onWait: { _ in }) {
                            heldSignal.yield()
                            // Hold the lock until the other one has said it waits.
                            var iterator = waiting.makeAsyncIterator()
                            _ = await iterator.next()
                            events.append("first releases")
                        }
                    }
                    var heldIterator = held.makeAsyncIterator()
                    _ = await heldIterator.next()
                    try await second.withLock(
                        machineB, wait: .seconds(120),
                        onWait: { holder in
                            events.append("waits for \(holder)")
                            waitingSignal.yield(holder)
                        }
                    ) {
                        events.append("second runs")
                    }
                    try await group.waitForAll()
                }
            }
        }
        let recorded = events.all
        #expect(recorded.count == 3)
        #expect(recorded.first?.hasPrefix("waits for roomsync apply (pid 101 on machine-a") == true)
        #expect(Array(recorded.dropFirst()) == ["first releases", "second runs"])
    }
}

extension StateStoreContract {
    /// `state push` of a file written before serial and lineage existed, then `state pull`: the file comes back
    /// byte for byte, plus the two fields its upgrade added. Another lineage is refused without `--force`.
    public static func pushThenPullRoundTrips(_ fixture: StateStoreFixture) async throws {
        try await withTemporaryDirectory { directory in
            var original = RoomSyncState(target: target)
            original.rooms["a"] = room(1, "Alpha")
            original.rooms["会议室/二"] = room(2, "Beta", protect: true)
            original.pendingAdds = [pending("z"), pending("d")]
            let path = directory.appendingPathComponent("old.json").path
            try StateFile.save(original, to: path)
            // As a roomsync from before serial and lineage wrote it.
            let oldText = try String(contentsOfFile: path, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains("\"serial\"") }
                .joined(separator: "\n")
            try oldText.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(!oldText.contains("serial") && !oldText.contains("lineage"))

            try await fixture.open { store in
                let pushed = try await StateTransfer.push(file: path, into: store, force: false, by: machineA)
                #expect(pushed.serial == 1)
                let lineage = try #require(pushed.lineage)
                let pulled = String(decoding: try await StateTransfer.pull(from: store), as: UTF8.self)

                var upgraded = original
                upgraded.serial = 1
                upgraded.lineage = lineage
                let upgradedPath = directory.appendingPathComponent("upgraded.json").path
                try StateFile.save(upgraded, to: upgradedPath)
                #expect(pulled == (try String(contentsOfFile: upgradedPath, encoding: .utf8)))
                let withoutUpgrade = pulled.split(separator: "\n", omittingEmptySubsequences: false)
                    .filter { !$0.contains("\"serial\"") && !$0.contains("\"lineage\"") }
                    .joined(separator: "\n")
                #expect(withoutUpgrade == oldText)

                // The pulled file pushed again (same lineage) is accepted; the serial moves on.
                let pulledPath = directory.appendingPathComponent("pulled.json").path
                try pulled.write(toFile: pulledPath, atomically: true, encoding: .utf8)
                #expect(try await StateTransfer.push(file: pulledPath, into: store, force: false, by: machineA).serial == 2)

                // Another lineage: refused without --force, writing nothing; replaced with it.
                var other = RoomSyncState(target: target)
                other.rooms["x"] = room(9, "Other")
                other.lineage = "another-lineage"
                let otherPath = directory.appendingPathComponent("other.json").path
                try StateFile.save(other, to: otherPath)
                await #expect {
                    try await StateTransfer.push(file: otherPath, into: store, force: false, by: machineA)
                } throws: { error in
                    "\(error)".contains("already holds another state") && "\(error)".contains("--force")
                }
                #expect(try await store.load().serial == 2)
                try await StateTransfer.push(file: otherPath, into: store, force: true, by: machineA)
                let replaced = try await store.load()
                #expect(replaced.rooms.keys.sorted() == ["x"] && replaced.pendingAdds.isEmpty)
                #expect(replaced.lineage == "another-lineage" && replaced.serial == 3)
                let history = try await store.history(key: "a", limit: 5)
                #expect(history.first?.action == "push" && history.first?.meetingroomIDAfter == nil)
            }
        }
    }
}

extension StateStoreContract {
    /// `state push` keeps the file's serial, so the store's serial still says which of two states of one lineage
    /// is newer; an older file of the same lineage is refused without `--force`, writing nothing (re-running a
    /// migration weeks later rolled the team back), and with it goes in under the store's next serial.
    public static func pushKeepsTheSerialAndRefusesAnOlderStateOfTheSameLineage(_ fixture: StateStoreFixture) async throws {
        try await withTemporaryDirectory { directory in
            var file = RoomSyncState(target: target)
            file.rooms["a"] = room(1, "Alpha")
            file.serial = 7
            file.lineage = "team-lineage"
            let path = directory.appendingPathComponent("state.json").path
            try StateFile.save(file, to: path)

            try await fixture.open { store in
                let pushed = try await StateTransfer.push(file: path, into: store, force: false, by: machineA)
                #expect(pushed.serial == 7)
                #expect(try await store.load() == file)

                // The team moves on from the store.
                let newer = try await step(store, file, action: "add") { $0.rooms["b"] = room(2, "Beta") }
                await #expect {
                    try await StateTransfer.push(file: path, into: store, force: false, by: machineA)
                } throws: { error in
                    "\(error)".contains("older") && "\(error)".contains("serial 7") && "\(error)".contains("--force")
                }
                #expect(try await store.load() == newer)

                // A newer file of the lineage goes in without --force, its serial kept.
                var ahead = newer
                ahead.serial = 12
                ahead.rooms["c"] = room(3, "Gamma")
                let aheadPath = directory.appendingPathComponent("ahead.json").path
                try StateFile.save(ahead, to: aheadPath)
                #expect(try await StateTransfer.push(file: aheadPath, into: store, force: false, by: machineA).serial == 12)
                #expect(try await store.load() == ahead)

                // Forced, the older file goes in under a serial the store never had.
                let forced = try await StateTransfer.push(file: path, into: store, force: true, by: machineA)
                #expect(forced.serial == 13)
                let loaded = try await store.load()
                #expect(loaded.rooms == file.rooms && loaded.serial == 13)
                // The steps of a serial that jumped still rewind.
                #expect(try await store.load(serial: 12) == ahead)
            }
        }
    }
}

extension StateStoreContract {
    /// `state pull --serial N` gives back, for every serial the state had, exactly what `state pull` printed
    /// then: rooms added, changed, removed and moved, the journal filled, reordered and settled, the target and
    /// accepted drift changed, a step that changed nothing. Read by another store (process) than the writer.
    public static func pullsEverySerialItHad(_ fixture: StateStoreFixture) async throws {
        var pulls: [Int: String] = [:]
        try await fixture.open { store in
            func pulled() async throws -> String { String(decoding: try await StateTransfer.pull(from: store), as: UTF8.self) }
            // A state never written is no state to back up (SPEC 8); as serial 0 it is the empty document.
            await #expect(throws: RoomSyncError.self) { try await pulled() }
            pulls[0] = String(decoding: try await StateTransfer.pull(from: store, serial: 0), as: UTF8.self)
            var state = try await step(store, RoomSyncState(), action: "add") { state in
                state.target = target
                state.rooms["a"] = room(1, "Alpha")
                state.rooms["b"] = room(2, "Beta", protect: true)
                state.pendingAdds = [pending("z"), pending("d")]
            }
            pulls[state.serial] = try await pulled()
            state = try await step(store, state, action: "add") { state in
                state.rooms["a"] = room(1, "Alpha renamed")
                state.rooms["b"] = nil
                state.rooms["c"] = room(3, "Gamma")
                state.pendingAdds.removeAll { $0.key == "z" }
                state.pendingAdds.append(pending("y"))
            }
            pulls[state.serial] = try await pulled()
            // Journaled again with another request: it goes to the end of the journal.
            state = try await step(store, state, action: "add") { state in
                var again = pending("d")
                again.request.capacity = 12
                state.pendingAdds.removeAll { $0.key == "d" }
                state.pendingAdds.append(again)
                state.pendingAdds.insert(pending("x"), at: 0)
            }
            pulls[state.serial] = try await pulled()
            state = try await step(store, state, action: "accept") { state in
                state.acceptedDrift = [AcceptedDrift(kind: "changed", key: "a", meetingroomID: 1, fingerprint: "f1")]
                state.target = StateTarget(endpoint: "sandbox:contract", corpID: "ww-moved")
            }
            pulls[state.serial] = try await pulled()
            // A step that changes nothing is a step too.
            state = try await step(store, state, action: "noop") { _ in }
            pulls[state.serial] = try await pulled()
            state = try await step(store, state, action: "move") { state in
                state.rooms["e"] = state.rooms.removeValue(forKey: "a")
                state.rooms["c"]?.protect = true
                state.pendingAdds = []
                state.acceptedDrift = nil
            }
            pulls[state.serial] = try await pulled()
            #expect(state.serial == 6)
        }
        try await fixture.open { store in
            for (serial, expected) in pulls.sorted(by: { $0.key < $1.key }) {
                let rebuilt = String(decoding: try await StateTransfer.pull(from: store, serial: serial), as: UTF8.self)
                #expect(rebuilt == expected, "serial \(serial)")
                #expect(try await store.load(serial: serial).serial == serial)
            }
            // The rewind leaves the state alone.
            #expect(String(decoding: try await StateTransfer.pull(from: store), as: UTF8.self) == pulls[6])
            for unknown in [7, 100, -1] {
                await #expect {
                    try await store.load(serial: unknown)
                } throws: { error in
                    let message = "\(error)"
                    return error is RoomSyncError && message.contains("has no serial \(unknown): its serial is 6")
                        && message.contains("serials 0 to 6 can be pulled") && !message.contains("\n")
                }
            }
        }
    }

    /// A workspace's first step taken back gives the empty state; an empty store has serial 0 only.
    public static func anEmptyStateHasOnlySerialZero(_ fixture: StateStoreFixture) async throws {
        try await fixture.open { store in
            let empty = try await store.load(serial: 0)
            #expect(empty == RoomSyncState())
            await #expect {
                try await store.load(serial: 1)
            } throws: { error in
                "\(error)".contains("has no serial 1: its serial is 0; only serial 0 can be pulled")
            }
        }
    }
}

/// Lines a concurrent callback reports (a lock's `onWait`), for a test to inspect afterwards.
public final class Events: Sendable {
    private let items = Mutex<[String]>([])

    public init() {}

    public func append(_ item: String) { items.withLock { $0.append(item) } }
    public var all: [String] { items.withLock { $0 } }
}
