import RoomSyncCore

/// What roomsync remembers between runs: which live room each manifest key manages, what it last applied there,
/// and the adds it started but has not seen answered. Stored as `.roomsync/state.json`.
public struct RoomSyncState: Sendable, Hashable, Codable {
    public static let formatVersion = 1

    public var formatVersion: Int
    /// The WeCom target this state belongs to; using it against another one is an error.
    public var target: StateTarget?
    public var rooms: [String: ManagedRoom]
    /// Adds written down before they were sent. A later run looks for these rooms live before adding again, so
    /// a crash between WeCom's answer and the state write never duplicates a room.
    public var pendingAdds: [PendingAdd]
    /// Drift accepted by `drift --accept`; absent (not empty) when there is none, so states without it read and
    /// write as before.
    public var acceptedDrift: [AcceptedDrift]?

    public init(
        target: StateTarget? = nil, rooms: [String: ManagedRoom] = [:], pendingAdds: [PendingAdd] = [],
        acceptedDrift: [AcceptedDrift]? = nil
    ) {
        self.formatVersion = Self.formatVersion
        self.target = target
        self.rooms = rooms
        self.pendingAdds = pendingAdds
        self.acceptedDrift = acceptedDrift
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case target, rooms
        case pendingAdds = "pending_adds"
        case acceptedDrift = "accepted_drift"
    }

    /// The key that manages a live room, if any.
    public func key(managing meetingroomID: Int) -> String? {
        rooms.first { $0.value.meetingroomID == meetingroomID }?.key
    }

    public var managedIDs: Set<Int> { Set(rooms.values.map(\.meetingroomID)) }
}

/// Where a state's rooms live.
public struct StateTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    public var endpoint: String
    public var corpID: String?

    public init(endpoint: String, corpID: String?) {
        self.endpoint = endpoint
        self.corpID = corpID
    }

    enum CodingKeys: String, CodingKey {
        case endpoint
        case corpID = "corp_id"
    }

    public var description: String {
        corpID.map { "\(endpoint) (corp \($0))" } ?? endpoint
    }
}

/// One managed room.
public struct ManagedRoom: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    /// Remembered so that removing the manifest entry of a protected room never deletes it.
    public var protect: Bool
    /// The room as roomsync last left it. `range` here is the only record of the range when `list` hides it.
    public var applied: MeetingRoom

    public init(meetingroomID: Int, protect: Bool, applied: MeetingRoom) {
        self.meetingroomID = meetingroomID
        self.protect = protect
        self.applied = applied
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case protect, applied
    }
}

/// An add that was journaled before it was sent.
public struct PendingAdd: Sendable, Hashable, Codable {
    public var key: String
    public var request: AddMeetingRoomRequest
    public var protect: Bool

    public init(key: String, request: AddMeetingRoomRequest, protect: Bool) {
        self.key = key
        self.request = request
        self.protect = protect
    }
}
