import RoomSyncCore
import RoomSyncEngine

/// Where a use case tells the user something while it runs (a journaled add settled, a check skipped): the
/// executable prints each as a `note: …` line on stderr, a test keeps them.
public protocol NoteReporter: Sendable {
    func note(_ message: String)
}

/// The "apply this plan?" question. `true` applies; `false` cancels with nothing changed; a prompt that cannot be
/// asked (no terminal) throws its own error.
public protocol PlanConfirmation: Sendable {
    func confirm(_ plan: Plan) async throws -> Bool
}

/// Confirms every plan: `--auto-approve`, a saved plan, tests.
public struct AlwaysConfirm: PlanConfirmation {
    public init() {}
    public func confirm(_ plan: Plan) async throws -> Bool { true }
}

/// Opens the API the command's options name for the length of `body` and shuts it down on every path: the
/// executable's WeCom client or embedded sandbox, a test's sandbox. Opened by the use case, so it decides the
/// order of the state's lock and the API.
public protocol MeetingRoomAPIProvider {
    func withAPI<T>(_ body: (any MeetingRoomAPI, StateTarget) async throws -> T) async throws -> T
}
