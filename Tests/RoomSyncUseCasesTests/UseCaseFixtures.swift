import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import RoomSyncUseCases
import Synchronization

/// What a use case said and asked, in order, for tests to read.
final class RecordingConsole: ApplyOutput, PlanConfirmation, Sendable {
    private let said = Mutex<[String]>([])
    private let answer: Bool

    /// `answer`: what the confirmation prompt answers.
    init(answer: Bool = true) {
        self.answer = answer
    }

    var lines: [String] { said.withLock { $0 } }
    var notes: [String] { lines.filter { $0.hasPrefix("note: ") } }

    func note(_ message: String) { said.withLock { $0.append("note: \(message)") } }
    func show(_ plan: Plan) { said.withLock { $0.append("plan: \(plan.changes.map { "\($0.action.rawValue) \($0.key)" })") } }
    func confirm(_ plan: Plan) async throws -> Bool {
        said.withLock { $0.append("confirm \(plan.changes.count) change(s)") }
        return answer
    }
}

/// The progress the applier reported.
final class RecordingProgress: ApplyReporter, Sendable {
    private let events = Mutex<[String]>([])
    var lines: [String] { events.withLock { $0 } }

    func applyStarted(total: Int) { events.withLock { $0.append("started \(total)") } }
    func operationFinished(_ change: PlannedChange, outcome: OperationOutcome, duration: Duration) {
        let how: String
        switch outcome {
        case .succeeded: how = "ok"
        case .failed(let message): how = "failed: \(message)"
        }
        events.withLock { $0.append("\(change.action.rawValue) \(change.key) \(how)") }
    }
    func note(_ message: String) { events.withLock { $0.append("note: \(message)") } }
}

/// The embedded sandbox refusing to add rooms whose name is in `refused`.
struct RefusingAPI: MeetingRoomAPI {
    let base: EmbeddedSandbox
    let refused: Set<String>
    var targetDescription: String { base.targetDescription }
    func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int {
        if refused.contains(request.name) {
            throw MeetingRoomAPIError.wecom(errcode: 40058, errmsg: "invalid name", operation: "oa/meetingroom/add")
        }
        return try await base.addMeetingRoom(request)
    }
    func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] { try await base.listMeetingRooms(request) }
    func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws { try await base.editMeetingRoom(request) }
    func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws { try await base.deleteMeetingRoom(request) }
}

/// A folder with a manifest, a state file in it, and the embedded sandbox in memory: what a use case runs on.
struct UseCaseWorkspace {
    let directory: URL
    let sandbox: EmbeddedSandbox
    let target = StateTarget(endpoint: "sandbox::memory:", corpID: nil)

    init(_ directory: URL) throws {
        self.directory = directory
        sandbox = try EmbeddedSandbox(dataFile: nil)
    }

    var statePath: String { directory.appendingPathComponent("state.json").path }
    var store: FileStateStore { FileStateStore(path: statePath) }
    var location: StateLocation { StateLocation(state: statePath) }
    var provider: SandboxProvider { SandboxProvider(sandbox: sandbox, target: target) }

    /// Applies `yaml` without asking.
    func apply(_ yaml: String) async throws {
        _ = try await ApplyUseCase.run(
            ApplyInput(desired: try manifests(yaml), parallelism: 4), store: store, api: sandbox, target: target,
            output: RecordingConsole(), confirmation: AlwaysConfirm(), progress: RecordingProgress())
    }

    var manifestPath: String { directory.appendingPathComponent("rooms.yaml").path }

    /// Writes `yaml` as `rooms.yaml`.
    func write(_ yaml: String) throws {
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: manifestPath))
    }

    /// Writes `yaml` as `rooms.yaml` and reads it; a manifest with errors throws them.
    func manifests(_ yaml: String) throws -> ManifestReadResult {
        try write(yaml)
        let result = ManifestReader.read(paths: [manifestPath])
        if result.hasErrors { throw DiagnosticList(result.diagnostics) }
        return result
    }

    func liveNames() async throws -> [String] {
        try await sandbox.listMeetingRooms(ListMeetingRoomsRequest()).map(\.name).sorted()
    }
}

let twoRooms = """
    version: 1
    rooms:
      sz-18f-large:
        name: 18F-大会议室
        capacity: 10
      sz-18f-small:
        name: 18F-小会议室
        capacity: 4
    """

/// The workspace's sandbox as the API a use case opens.
struct SandboxProvider: MeetingRoomAPIProvider {
    let sandbox: EmbeddedSandbox
    let target: StateTarget

    func withAPI<T>(_ body: (any MeetingRoomAPI, StateTarget) async throws -> T) async throws -> T {
        try await body(sandbox, target)
    }
}
