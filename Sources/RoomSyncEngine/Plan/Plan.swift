import RoomSyncCore

/// What apply will do, and what it saw when it decided.
public struct Plan: Sendable, Hashable, Codable {
    public var changes: [PlannedChange]
    /// Rendered in the reader's language by text and markdown; in English in JSON and saved plans.
    public var warnings: [LocalizedText]
    /// Managed rooms that need no change.
    public var unchanged: Int
    /// State-only updates that need no API call: the `protect` flag of rooms already in state, and keys whose
    /// room is gone and no manifest wants any more.
    public var protectUpdates: [String: Bool]
    /// The `ignore_changes` of rooms already in state, where the manifest changed it.
    public var ignoreChangesUpdates: [String: [ManagedField]]
    public var forgottenKeys: [String]
    /// Rooms whose live fields already are what the manifest asks while their last-applied record lags (an edit
    /// whose state write was lost): the record apply keeps instead, with no API call, so drift does not report
    /// them (SPEC 4).
    public var recordUpdates: [String: MeetingRoom]
    /// The bookings of the rooms it deletes, when they were checked (`BookingCheck.run`); `nil` when the plan
    /// deletes nothing or the check was skipped.
    public var bookings: BookingCheck?
    /// When the plan was limited to a subset (SPEC 11): which, and how many managed rooms it covered.
    public var subset: SubsetCoverage?

    public init(
        changes: [PlannedChange], warnings: [LocalizedText], unchanged: Int, protectUpdates: [String: Bool] = [:],
        ignoreChangesUpdates: [String: [ManagedField]] = [:], forgottenKeys: [String] = [],
        recordUpdates: [String: MeetingRoom] = [:], subset: SubsetCoverage? = nil
    ) {
        self.changes = changes
        self.warnings = warnings
        self.unchanged = unchanged
        self.protectUpdates = protectUpdates
        self.ignoreChangesUpdates = ignoreChangesUpdates
        self.forgottenKeys = forgottenKeys
        self.recordUpdates = recordUpdates
        self.subset = subset
    }

    enum CodingKeys: String, CodingKey {
        case changes, warnings, unchanged
        case protectUpdates = "protect_updates"
        case ignoreChangesUpdates = "ignore_changes_updates"
        case forgottenKeys = "forgotten_keys"
        case recordUpdates = "record_updates"
        case bookings
        case subset
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(changes, forKey: .changes)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(unchanged, forKey: .unchanged)
        try container.encode(protectUpdates, forKey: .protectUpdates)
        try container.encode(ignoreChangesUpdates, forKey: .ignoreChangesUpdates)
        try container.encode(forgottenKeys, forKey: .forgottenKeys)
        // Only when there are some, so saved plans without any read as they always did.
        if !recordUpdates.isEmpty { try container.encode(recordUpdates, forKey: .recordUpdates) }
        try container.encodeIfPresent(bookings, forKey: .bookings)
        try container.encodeIfPresent(subset, forKey: .subset)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bookings = try container.decodeIfPresent(BookingCheck.self, forKey: .bookings)
        changes = try container.decode([PlannedChange].self, forKey: .changes)
        warnings = try container.decode([LocalizedText].self, forKey: .warnings)
        unchanged = try container.decode(Int.self, forKey: .unchanged)
        protectUpdates = try container.decode([String: Bool].self, forKey: .protectUpdates)
        ignoreChangesUpdates = try container.decodeIfPresent([String: [ManagedField]].self, forKey: .ignoreChangesUpdates) ?? [:]
        forgottenKeys = try container.decode([String].self, forKey: .forgottenKeys)
        recordUpdates = try container.decodeIfPresent([String: MeetingRoom].self, forKey: .recordUpdates) ?? [:]
        subset = try container.decodeIfPresent(SubsetCoverage.self, forKey: .subset)
    }

    public func count(_ action: PlannedChange.Action) -> Int {
        changes.lazy.filter { $0.action == action }.count
    }

    public var hasChanges: Bool { !changes.isEmpty }

    /// Whether applying would change the state file even if no API call is needed.
    public var hasStateUpdates: Bool {
        !protectUpdates.isEmpty || !ignoreChangesUpdates.isEmpty || !forgottenKeys.isEmpty || !recordUpdates.isEmpty
    }
}

/// One operation of a plan.
public struct PlannedChange: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case add
        case change
        case delete
        case adopt
        /// A key renamed in the state by a manifest's `moved`: no API call.
        case move
        /// A live room adopted under a key by a manifest's `import`, then edited where it differs.
        case `import`
    }

    /// What a change is about: a manifest key, or a live room no key manages (deleted by `--prune`).
    public enum Subject: Sendable, Hashable {
        case key(String)
        case unmanagedRoom
    }

    public var subject: Subject
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
    public var reason: LocalizedText?
    /// For a move, the key before.
    public var from: String?
    /// The fields the manifest tells roomsync to leave alone after the add, remembered in the state.
    public var ignoreChanges: [ManagedField]

    public init(
        key: String, action: Action, meetingroomID: Int? = nil, fields: [FieldChange] = [], seen: MeetingRoom? = nil,
        addRequest: AddMeetingRoomRequest? = nil, editRequest: EditMeetingRoomRequest? = nil, protect: Bool = false,
        reason: LocalizedText? = nil, from: String? = nil, ignoreChanges: [ManagedField] = []
    ) {
        self.subject = .key(key)
        self.action = action
        self.meetingroomID = meetingroomID
        self.fields = fields
        self.seen = seen
        self.addRequest = addRequest
        self.editRequest = editRequest
        self.protect = protect
        self.reason = reason
        self.from = from
        self.ignoreChanges = ignoreChanges
    }

    /// `--prune`'s delete of a live room no key manages.
    public static func pruning(_ room: MeetingRoom) -> PlannedChange {
        var change = PlannedChange(
            key: "", action: .delete, meetingroomID: room.meetingroomID,
            fields: [FieldChange(field: "name", before: .string(room.name), after: .none)], seen: room)
        change.subject = .unmanagedRoom
        return change
    }

    /// The manifest key, when the change is about one (for a move, the new key).
    public var manifestKey: String? {
        if case .key(let key) = subject { return key }
        return nil
    }

    /// How output names the change: the manifest key, or `#ID` for an unmanaged room.
    public var key: String {
        switch subject {
        case .key(let key): key
        case .unmanagedRoom: "#\(meetingroomID ?? 0)"
        }
    }

    public var isUnmanagedRoom: Bool { subject == .unmanagedRoom }

    enum CodingKeys: String, CodingKey {
        case key, action
        case meetingroomID = "meetingroom_id"
        case fields, seen
        case addRequest = "add_request"
        case editRequest = "edit_request"
        case protect, reason, from, unmanaged
        case ignoreChanges = "ignore_changes"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(action, forKey: .action)
        try container.encodeIfPresent(meetingroomID, forKey: .meetingroomID)
        try container.encode(fields, forKey: .fields)
        try container.encodeIfPresent(seen, forKey: .seen)
        try container.encodeIfPresent(addRequest, forKey: .addRequest)
        try container.encodeIfPresent(editRequest, forKey: .editRequest)
        try container.encode(protect, forKey: .protect)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(from, forKey: .from)
        if isUnmanagedRoom { try container.encode(true, forKey: .unmanaged) }
        if !ignoreChanges.isEmpty { try container.encode(ignoreChanges, forKey: .ignoreChanges) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let key = try container.decode(String.self, forKey: .key)
        // Plans saved before `unmanaged` existed said it with the reason.
        let unmanaged = try container.decodeIfPresent(Bool.self, forKey: .unmanaged)
            ?? (try container.decodeIfPresent(String.self, forKey: .reason) == "unmanaged")
        subject = unmanaged ? .unmanagedRoom : .key(key)
        action = try container.decode(Action.self, forKey: .action)
        meetingroomID = try container.decodeIfPresent(Int.self, forKey: .meetingroomID)
        fields = try container.decode([FieldChange].self, forKey: .fields)
        seen = try container.decodeIfPresent(MeetingRoom.self, forKey: .seen)
        addRequest = try container.decodeIfPresent(AddMeetingRoomRequest.self, forKey: .addRequest)
        editRequest = try container.decodeIfPresent(EditMeetingRoomRequest.self, forKey: .editRequest)
        protect = try container.decode(Bool.self, forKey: .protect)
        reason = try container.decodeIfPresent(LocalizedText.self, forKey: .reason)
        from = try container.decodeIfPresent(String.self, forKey: .from)
        ignoreChanges = try container.decodeIfPresent([ManagedField].self, forKey: .ignoreChanges) ?? []
    }

    /// The order apply runs phases in: moves first (the keys the other phases use), deletes free names and
    /// capacity, adds come last.
    public var phase: Int {
        switch action {
        case .move: 0
        case .delete: 1
        case .change, .adopt, .import: 2
        case .add: 3
        }
    }
}
