import RoomSyncCore
import Synchronization

/// What an apply did.
public struct ApplyResult: Sendable, Hashable {
    public var succeeded: [PlannedChange.Action: Int]
    public var failures: [Failure]
    /// Operations not started because an earlier one failed.
    public var skipped: Int

    public struct Failure: Sendable, Hashable {
        public var key: String
        public var action: PlannedChange.Action
        /// Why: operations that failed for one cause (a full disk fails every state write) have equal errors.
        public var error: RoomSyncError

        /// Why, in the task's language.
        public var message: String { error.message }

        public init(key: String, action: PlannedChange.Action, error: RoomSyncError) {
            self.key = key
            self.action = action
            self.error = error
        }
    }

    public var isSuccess: Bool { failures.isEmpty }

    public init(succeeded: [PlannedChange.Action: Int], failures: [Failure], skipped: Int) {
        self.succeeded = succeeded
        self.failures = failures
        self.skipped = skipped
    }
}

/// Runs a plan against the API: deletes, then edits and adoptions, then adds, each phase with at most
/// `parallelism` operations in flight. The first failure stops new operations; running ones finish and
/// everything that succeeded stays recorded.
public struct Applier: Sendable {
    public let api: any MeetingRoomAPI
    public let recorder: StateRecorder
    public let parallelism: Int
    public let reporter: any ApplyReporter

    public init(api: any MeetingRoomAPI, recorder: StateRecorder, parallelism: Int, reporter: any ApplyReporter) {
        self.api = api
        self.recorder = recorder
        self.parallelism = max(1, parallelism)
        self.reporter = reporter
    }

    public func apply(_ plan: Plan) async throws -> ApplyResult {
        reporter.applyStarted(total: plan.changes.count)
        var result = ApplyResult(succeeded: [:], failures: [], skipped: 0)
        let phases = Dictionary(grouping: plan.changes, by: \.phase).sorted { $0.key < $1.key }
        var stateUpdated = false
        for (_, changes) in phases {
            guard result.failures.isEmpty else {
                result.skipped += changes.count
                continue
            }
            let moves = changes.first?.action == .move
            // The plan's state-only updates were made on the state as its moves leave it: after them.
            if !moves, !stateUpdated {
                try await recorder.applyStateUpdates(of: plan)
                stateUpdated = true
            }
            // Moves are state-only and may chain (a → b, then b → c): one at a time, in order.
            try await run(changes, limit: moves ? 1 : parallelism, into: &result)
        }
        if !stateUpdated, result.failures.isEmpty { try await recorder.applyStateUpdates(of: plan) }
        return result
    }

    /// Bounded concurrency: start up to `limit` operations, then more each time one is done with the API. When the
    /// API finds its own number in flight (the WeCom client), only a little more than that is offered: operations
    /// queued inside the client would still be sent after a failure, which must stop everything not yet started.
    ///
    /// An operation is done with the API once its last call is answered: it then only waits for the state to store
    /// what it did, and that wait does not hold its place, since the limit is on calls in flight (SPEC 7). Holding
    /// it made every add wait for two state writes with its place taken, and with the file state those writes
    /// grow with the number of rooms. A call that fails stops new operations at once, before its operation ends.
    private func run(_ changes: [PlannedChange], limit: Int, into result: inout ApplyResult) async throws {
        let (events, sink) = AsyncStream.makeStream(of: OperationEvent.self)
        defer { sink.finish() }
        await withTaskGroup(of: Void.self) { group in
            var next = changes.makeIterator()
            var started = 0
            // Operations that may still call the API, and those not finished.
            var calling = 0, running = 0
            var doneCalling: Set<Int> = []
            var stopping = false
            func startNext() -> Bool {
                guard let change = next.next() else { return false }
                let id = started
                started += 1
                group.addTask {
                    let callsDone = CallsDone { failed in sink.yield(.doneCalling(id: id, failed: failed)) }
                    let outcome = await self.perform(change, callsDone: callsDone)
                    sink.yield(.finished(id: id, change, outcome))
                }
                calling += 1
                running += 1
                return true
            }
            func offered() async -> Int {
                guard let taken = await api.callsInFlightLimit() else { return limit }
                // Two more than the API takes, so a slot it frees or adds finds an operation waiting.
                return min(limit, taken + 2)
            }
            var target = await offered()
            while calling < target, startNext() {}
            if running > 0 {
                for await event in events {
                    switch event {
                    case .doneCalling(let id, let failed):
                        doneCalling.insert(id)
                        calling -= 1
                        if failed { stopping = true }
                    case .finished(let id, let change, let outcome):
                        running -= 1
                        if doneCalling.remove(id) == nil { calling -= 1 }
                        switch outcome {
                        case .succeeded:
                            result.succeeded[change.action, default: 0] += 1
                        case .failed(let error):
                            result.failures.append(.init(key: change.key, action: change.action, error: error))
                        }
                    }
                    if result.failures.isEmpty, !stopping {
                        target = await offered()
                        while calling < target, startNext() {}
                    }
                    if running == 0 { break }
                }
            }
            while next.next() != nil { result.skipped += 1 }
        }
    }

    private func perform(_ change: PlannedChange, callsDone: CallsDone) async -> OperationOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: OperationOutcome
        do {
            let id = try await execute(change, callsDone: callsDone)
            outcome = .succeeded(meetingroomID: id)
        } catch {
            outcome = .failed(RoomSyncError(error))
        }
        reporter.operationFinished(change, outcome: outcome, duration: clock.now - start)
        return outcome
    }

    /// `callsDone` is told once the operation will call the API no more, before it waits for the state.
    private func execute(_ change: PlannedChange, callsDone: CallsDone) async throws -> Int? {
        switch change.action {
        case .delete:
            guard let id = change.meetingroomID else { throw RoomSyncError(.deleteWithoutID, ["key": change.key]) }
            do {
                try await api.deleteMeetingRoom(DeleteMeetingRoomRequest(meetingroomID: id))
            } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.invalidParameter {
                // The only parameter of del is the id: 40058 means the room is already gone, which is the goal.
            }
            callsDone(failed: false)
            try await recorder.forget(key: change.manifestKey, meetingroomID: id)
            return id
        case .change, .adopt, .import:
            guard let id = change.meetingroomID, let seen = change.seen else {
                throw RoomSyncError(.operationWithoutRecord, ["action": change.action.rawValue, "key": change.key])
            }
            if change.action == .import {
                // The mapping first, as the manifest asked; an edit that then fails leaves the room imported.
                try await recorder.record(
                    key: change.key, meetingroomID: id, protect: change.protect, applied: seen, action: "import",
                    ignoreChanges: change.ignoreChanges)
                guard change.editRequest != nil else { return id }
            }
            if let request = change.editRequest {
                try await api.editMeetingRoom(request)
            }
            callsDone(failed: false)
            let previous = await recorder.state.rooms[change.key]?.applied
            try await recorder.record(
                key: change.key, meetingroomID: id, protect: change.protect,
                applied: appliedRecord(afterEditing: seen, with: change.editRequest, previous: previous),
                action: change.action == .import ? "change" : change.action.rawValue, ignoreChanges: change.ignoreChanges)
            return id
        case .move:
            guard let from = change.from else { throw RoomSyncError(.moveWithoutSource, ["key": change.key]) }
            try await recorder.move(from: from, to: change.key)
            return change.meetingroomID
        case .add:
            guard let request = change.addRequest else { throw RoomSyncError(.addWithoutRequest, ["key": change.key]) }
            return try await add(
                request, key: change.key, protect: change.protect, ignoreChanges: change.ignoreChanges, callsDone: callsDone)
        }
    }

    /// Journal, send, record. An add whose answer was lost or unreadable is never sent again in this run (SPEC 7):
    /// the live rooms are listed, and if the room is not there yet the add stays journaled for the next run to
    /// settle by listing. WeCom may still apply it after the list (a gateway's 504 while WeCom works on, a request
    /// we stopped waiting for), and a second add would then make a second room.
    private func add(
        _ request: AddMeetingRoomRequest, key: String, protect: Bool, ignoreChanges: [ManagedField], callsDone: CallsDone
    ) async throws -> Int {
        try await recorder.journal(PendingAdd(key: key, request: request, protect: protect, ignoreChanges: ignoreChanges))
        await recorder.sending(key: key, request: request)
        let id: Int
        do {
            id = try await api.addMeetingRoom(request)
        } catch let error as MeetingRoomAPIError where error.isOutcomeUnknown || error.isBadResponse {
            // No answer, or one that cannot be read (an HTML page, truncated JSON, no meetingroom_id, a 5xx): WeCom
            // may have made the room. The journal entry stays until we know: if listing fails too, the next run
            // settles it.
            if let found = try await findAdded(request, key: key, protect: protect, ignoreChanges: ignoreChanges) {
                reporter.note("room '\(key)': the answer to add was lost; found it live as meetingroom_id \(found.meetingroomID)")
                return found.meetingroomID
            }
            callsDone(failed: true)
            throw RoomSyncError(.addLostNotResent, ["error": error.text.rendered()])
        } catch {
            // WeCom answered with an error, or nothing was sent: the room was not added. Nothing new starts
            // while the journal is cleared.
            callsDone(failed: true)
            try? await recorder.clearJournal(key: key)
            throw error
        }
        // WeCom made the room: if recording it fails, the journal stays so the next run finds it.
        callsDone(failed: false)
        try await recorder.record(
            key: key, meetingroomID: id, protect: protect,
            applied: appliedRecord(afterAdding: request, id: id, live: nil), ignoreChanges: ignoreChanges)
        return id
    }

    /// Lists the rooms the add could have made, once every twin add still in flight has its answer, and maps the
    /// key to the first one no key manages, in one step of the recorder.
    private func findAdded(
        _ request: AddMeetingRoomRequest, key: String, protect: Bool, ignoreChanges: [ManagedField]
    ) async throws -> MeetingRoom? {
        await recorder.waitForTwins(of: key, request: request)
        let filter = ListMeetingRoomsRequest(city: request.city, building: request.building, floor: request.floor)
        let candidates = try await api.listMeetingRooms(filter).filter(request.wouldCreate)
            .sorted { $0.meetingroomID < $1.meetingroomID }
        return try await recorder.recordFirstUnmanaged(
            key: key, candidates: candidates, protect: protect, ignoreChanges: ignoreChanges
        ) { found in
            appliedRecord(afterAdding: request, id: found.meetingroomID, live: found)
        }
    }
}

/// What an operation tells the loop that runs it: it will call the API no more (its place can go to another), or
/// it finished.
private enum OperationEvent: Sendable {
    case doneCalling(id: Int, failed: Bool)
    case finished(id: Int, PlannedChange, OperationOutcome)
}

/// Tells, once, that an operation is done calling the API, and whether its last call failed; later calls do
/// nothing.
final class CallsDone: Sendable {
    private let told = Mutex(false)
    private let tell: @Sendable (Bool) -> Void

    init(_ tell: @escaping @Sendable (Bool) -> Void) {
        self.tell = tell
    }

    func callAsFunction(failed: Bool) {
        let first = told.withLock { told in
            defer { told = true }
            return !told
        }
        if first { tell(failed) }
    }
}
