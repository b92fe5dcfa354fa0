import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Synchronization
import Testing

@testable import RoomSyncEngine

/// The embedded sandbox behind a decorator that can fail chosen calls and measures how many are in flight:
/// the seam lets the applier be tested without HTTP.
final class InstrumentedAPI: MeetingRoomAPI {
    let base: EmbeddedSandbox
    let failNames: Set<String>
    let delay: Duration
    /// When set, the first calls wait until this many are in flight at once (or a generous deadline passes), so
    /// that reaching the parallelism bound does not depend on how quickly a loaded machine schedules tasks.
    let gatherFirst: Int?
    private let counters = Mutex((inFlight: 0, maxInFlight: 0, adds: 0, gathered: false))

    /// What `callsInFlightLimit` says: an API that finds its own number in flight, like the WeCom client.
    let takesInFlight: Int?

    init(
        base: EmbeddedSandbox, failNames: Set<String> = [], delay: Duration = .milliseconds(5), gatherFirst: Int? = nil,
        takesInFlight: Int? = nil
    ) {
        self.takesInFlight = takesInFlight
        self.base = base
        self.failNames = failNames
        self.delay = delay
        self.gatherFirst = gatherFirst
    }

    var targetDescription: String { base.targetDescription }
    func callsInFlightLimit() async -> Int? { takesInFlight }
    var maxInFlight: Int { counters.withLock { $0.maxInFlight } }
    var adds: Int { counters.withLock { $0.adds } }

    private func tracked<T>(_ body: () async throws -> T) async throws -> T {
        counters.withLock {
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
        }
        defer { counters.withLock { $0.inFlight -= 1 } }
        if let gatherFirst {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let gathered = counters.withLock {
                    if $0.inFlight >= gatherFirst { $0.gathered = true }
                    return $0.gathered
                }
                if gathered { break }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        try await Task.sleep(for: delay)
        return try await body()
    }

    func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int {
        try await tracked {
            counters.withLock { $0.adds += 1 }
            if failNames.contains(request.name) {
                throw MeetingRoomAPIError.wecom(errcode: 40058, errmsg: "invalid name", operation: "oa/meetingroom/add")
            }
            return try await base.addMeetingRoom(request)
        }
    }

    func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] {
        try await base.listMeetingRooms(request)
    }

    func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws {
        try await tracked { try await base.editMeetingRoom(request) }
    }

    func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws {
        try await tracked { try await base.deleteMeetingRoom(request) }
    }
}

@Suite struct ApplierTests {
    func applyManifest(
        _ desired: [DesiredRoom], api: InstrumentedAPI, statePath: String, parallelism: Int = 4
    ) async throws -> (ApplyResult, RoomSyncState) {
        let state = try StateFile.load(statePath)
        let live = try await api.listMeetingRooms(ListMeetingRoomsRequest())
        let plan = try Planner.plan(desired: desired, live: live, state: state)
        let recorder = StateRecorder(state: state, path: statePath)
        let result = try await Applier(api: api, recorder: recorder, parallelism: parallelism, reporter: SilentApplyReporter())
            .apply(plan)
        return (result, try StateFile.load(statePath))
    }

    @Test func parallelismBoundsTheOperationsInFlight() async throws {
        try await withTemporaryDirectory { directory in
            let api = InstrumentedAPI(base: try EmbeddedSandbox(dataFile: nil), gatherFirst: 3)
            let desired = (1...30).map { Fixture.desired("k\($0)") }
            let (result, state) = try await applyManifest(desired, api: api, statePath: directory.appendingPathComponent("s.json").path, parallelism: 3)
            #expect(result.isSuccess)
            #expect(result.succeeded[.add] == 30)
            #expect(state.rooms.count == 30)
            #expect(api.maxInFlight == 3)
        }
    }

    /// With the default cap of 64, an API that takes 2 at once is offered about that many: when the first add
    /// fails, the others were not sitting queued inside the client, to be sent anyway (a 60020 once cost all 64).
    @Test func anAPIThatTakesFewAtOnceIsOfferedFewSoAFailureStopsTheRest() async throws {
        try await withTemporaryDirectory { directory in
            let statePath = directory.appendingPathComponent("s.json").path
            let api = InstrumentedAPI(
                base: try EmbeddedSandbox(dataFile: nil), failNames: ["k1-room"], delay: .milliseconds(20),
                takesInFlight: 2)
            let desired = (1...40).map { Fixture.desired("k\($0)") }
            let (result, state) = try await applyManifest(desired, api: api, statePath: statePath, parallelism: 64)
            #expect(result.failures.map(\.key) == ["k1"])
            #expect(api.maxInFlight <= 4)
            #expect(api.adds <= 8, "\(api.adds) adds sent after the first failure was known")
            #expect(result.skipped >= 32)
            #expect(state.pendingAdds.isEmpty)
        }
    }

    @Test func aFailureStopsNewOperationsAndKeepsWhatSucceeded() async throws {
        try await withTemporaryDirectory { directory in
            let statePath = directory.appendingPathComponent("s.json").path
            let sandbox = try EmbeddedSandbox(dataFile: nil)
            _ = try await applyManifest((1...4).map { Fixture.desired("old\($0)") }, api: InstrumentedAPI(base: sandbox), statePath: statePath)

            // One edit (runs first), then ten adds of which one is refused.
            var desired = (1...4).map { Fixture.desired("old\($0)") } + (1...10).map { Fixture.desired("new\($0)") }
            desired[0].capacity = 50
            let api = InstrumentedAPI(base: sandbox, failNames: ["new3-room"], delay: .milliseconds(20))
            let (result, state) = try await applyManifest(desired, api: api, statePath: statePath, parallelism: 2)
            #expect(!result.isSuccess)
            #expect(result.failures.map(\.key) == ["new3"])
            #expect(result.failures.first?.message == "oa/meetingroom/add: WeCom error 40058: invalid name")
            // The edit is recorded; adds stopped soon after the failure; every add that succeeded is in state.
            #expect(state.rooms["old1"]?.applied.capacity == 50)
            let added = state.rooms.keys.filter { $0.hasPrefix("new") }
            #expect(added.count == (result.succeeded[.add] ?? 0))
            #expect(result.skipped > 0)
            #expect(api.adds < 10)
            #expect(state.pendingAdds.isEmpty, "a refused add is not left journaled")
            let live = try await sandbox.listMeetingRooms(ListMeetingRoomsRequest())
            #expect(live.count == 4 + added.count)
        }
    }
}

/// What happened, in order, across an API and a state store: `sent NAME`, `stored KEY`.
final class EventLog: Sendable {
    private let events = Mutex<[String]>([])
    func note(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
    func contains(_ event: String) -> Bool { events.withLock { $0.contains(event) } }
}

/// The embedded sandbox, noting each add it is sent.
struct NotingAPI: MeetingRoomAPI {
    let base: EmbeddedSandbox
    let log: EventLog
    var targetDescription: String { base.targetDescription }
    func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int {
        log.note("sent \(request.name)")
        return try await base.addMeetingRoom(request)
    }
    func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] { try await base.listMeetingRooms(request) }
    func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws { try await base.editMeetingRoom(request) }
    func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws { try await base.deleteMeetingRoom(request) }
}

/// A file store whose step that maps `heldKey` waits until `until` holds (or a generous deadline passes, so a
/// failing test ends), noting `held KEY until met` or `held KEY until the deadline`, then `stored KEY`.
struct HoldingStore: StateStore {
    let base: FileStateStore
    let log: EventLog
    let heldKey: String
    let until: @Sendable () async -> Bool
    var displayName: String { base.displayName }
    func load() async throws -> RoomSyncState { try await base.load() }
    func load(serial: Int) async throws -> RoomSyncState { try await base.load(serial: serial) }
    func withLock<T: Sendable>(
        _ holder: StateWriter, wait: Duration, onWait: @escaping @Sendable (String) -> Void, _ body: () async throws -> T
    ) async throws -> T {
        try await base.withLock(holder, wait: wait, onWait: onWait, body)
    }
    func lockHolder() async throws -> String? { try await base.lockHolder() }
    func history(key: String?, limit: Int) async throws -> [StateHistoryEntry] { try await base.history(key: key, limit: limit) }
    func commit(_ state: RoomSyncState, changes: [StateChange], by writer: StateWriter) async throws {
        let maps = changes.filter { if case .room = $0.kind { return true } else { return false } }.map(\.key)
        if maps.contains(heldKey) {
            let deadline = ContinuousClock.now + .seconds(10)
            var met = await until()
            while !met, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
                met = await until()
            }
            log.note(met ? "held \(heldKey) until met" : "held \(heldKey) until the deadline")
        }
        try await base.commit(state, changes: changes, by: writer)
        for key in maps { log.note("stored \(key)") }
    }
}

/// Set once the recorder exists, for a store made before it.
final class RecorderBox: Sendable {
    private let held = Mutex<StateRecorder?>(nil)
    var recorder: StateRecorder? {
        get { held.withLock { $0 } }
        set { held.withLock { $0 = newValue } }
    }
}

extension ApplierTests {
    /// `--parallelism` caps calls in flight (SPEC 7): an add whose call is answered gives its place to the next one
    /// while it waits for the state to store it. At parallelism 1 the second add is started (journaled, to go in
    /// the next write) while the first one's record is still being written.
    @Test func anAddGivesItsPlaceToTheNextOnceItsCallIsAnswered() async throws {
        try await withTemporaryDirectory { directory in
            let log = EventLog()
            let api = NotingAPI(base: try EmbeddedSandbox(dataFile: nil), log: log)
            let box = RecorderBox()
            let store = HoldingStore(
                base: FileStateStore(path: directory.appendingPathComponent("s.json").path), log: log, heldKey: "k1"
            ) {
                await box.recorder?.state.pendingAdds.contains { $0.key == "k2" } == true
            }
            let plan = try Planner.plan(desired: [Fixture.desired("k1"), Fixture.desired("k2")], live: [], state: RoomSyncState())
            let recorder = StateRecorder(state: try await store.load(), store: store, writer: .current(command: "apply"))
            box.recorder = recorder
            let result = try await Applier(api: api, recorder: recorder, parallelism: 1, reporter: SilentApplyReporter()).apply(plan)
            #expect(result.isSuccess)
            #expect(result.succeeded[.add] == 2)
            #expect(log.all == ["sent k1-room", "held k1 until met", "stored k1", "sent k2-room", "stored k2"])
            #expect(try await store.load().rooms.keys.sorted() == ["k1", "k2"])
        }
    }

    /// A refused add stops new operations as soon as it is answered, before its journal entry is cleared.
    @Test func aRefusedAddStopsNewOperationsBeforeItsJournalIsCleared() async throws {
        try await withTemporaryDirectory { directory in
            let api = InstrumentedAPI(base: try EmbeddedSandbox(dataFile: nil), failNames: ["k1-room"])
            let desired = (1...20).map { Fixture.desired("k\($0)") }
            let (result, state) = try await applyManifest(desired, api: api, statePath: directory.appendingPathComponent("s.json").path, parallelism: 1)
            #expect(result.failures.map(\.key) == ["k1"])
            #expect(api.adds == 1)
            #expect(result.skipped == 19)
            #expect(state.pendingAdds.isEmpty)
        }
    }
}
