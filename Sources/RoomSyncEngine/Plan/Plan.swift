import RoomSyncCore

/// What apply will do, and what it saw when it decided.
public struct Plan: Sendable, Hashable, Codable {
    public var changes: [PlannedChange]
    public var warnings: [String]
    /// Managed rooms that need no change.
    public var unchanged: Int
    /// State-only updates that need no API call: the `protect` flag of rooms already in state, and keys whose
    /// room is gone and no manifest wants any more.
    public var protectUpdates: [String: Bool]
    public var forgottenKeys: [String]

    public init(
        changes: [PlannedChange], warnings: [String], unchanged: Int, protectUpdates: [String: Bool] = [:],
        forgottenKeys: [String] = []
    ) {
        self.changes = changes
        self.warnings = warnings
        self.unchanged = unchanged
        self.protectUpdates = protectUpdates
        self.forgottenKeys = forgottenKeys
    }

    enum CodingKeys: String, CodingKey {
        case changes, warnings, unchanged
        case protectUpdates = "protect_updates"
        case forgottenKeys = "forgotten_keys"
    }

    public func count(_ action: PlannedChange.Action) -> Int {
        changes.lazy.filter { $0.action == action }.count
    }

    public var hasChanges: Bool { !changes.isEmpty }

    /// Whether applying would change the state file even if no API call is needed.
    public var hasStateUpdates: Bool { !protectUpdates.isEmpty || !forgottenKeys.isEmpty }
}

/// One operation of a plan.
public struct PlannedChange: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case add
        case change
        case delete
        case adopt
    }

    /// The manifest key; for a pruned unmanaged room, `#` and its id.
    public var key: String
    public var action: Action
    public var meetingroomID: Int?
    public var fields: [FieldChange]
    /// The live record the plan saw for the room it touches; a saved plan is stale when this has changed.
    public var seen: MeetingRoom?
    /// The request for add.
    public var addRequest: AddMeetingRoomRequest?
    /// The request for change, or for adopt when the adopted room also needs edits.
    public var editRequest: EditMeetingRoomRequest?
    public var protect: Bool
    /// Why this add happens when the room used to be managed ("deleted outside roomsync").
    public var reason: String?

    public init(
        key: String, action: Action, meetingroomID: Int? = nil, fields: [FieldChange] = [], seen: MeetingRoom? = nil,
        addRequest: AddMeetingRoomRequest? = nil, editRequest: EditMeetingRoomRequest? = nil, protect: Bool = false,
        reason: String? = nil
    ) {
        self.key = key
        self.action = action
        self.meetingroomID = meetingroomID
        self.fields = fields
        self.seen = seen
        self.addRequest = addRequest
        self.editRequest = editRequest
        self.protect = protect
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case key, action
        case meetingroomID = "meetingroom_id"
        case fields, seen
        case addRequest = "add_request"
        case editRequest = "edit_request"
        case protect, reason
    }

    /// The order apply runs phases in: deletes free names and capacity first, adds come last.
    public var phase: Int {
        switch action {
        case .delete: 0
        case .change, .adopt: 1
        case .add: 2
        }
    }
}
