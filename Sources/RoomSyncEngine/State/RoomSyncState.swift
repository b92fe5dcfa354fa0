import Foundation
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
    /// Incremented by every write; a write is a compare-and-set on it, so two writers never interleave unseen.
    public var serial: Int
    /// A UUID fixed when the state is first written: a state pushed over another of a different lineage is
    /// refused without `--force`. `nil` only in files written before it existed, until their next write.
    public var lineage: String?

    public init(
        target: StateTarget? = nil, rooms: [String: ManagedRoom] = [:], pendingAdds: [PendingAdd] = [],
        acceptedDrift: [AcceptedDrift]? = nil, serial: Int = 0, lineage: String? = nil
    ) {
        self.formatVersion = Self.formatVersion
        self.target = target
        self.rooms = rooms
        self.pendingAdds = pendingAdds
        self.acceptedDrift = acceptedDrift
        self.serial = serial
        self.lineage = lineage
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case target, rooms
        case pendingAdds = "pending_adds"
        case acceptedDrift = "accepted_drift"
        case serial, lineage
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try container.decode(Int.self, forKey: .formatVersion)
        target = try container.decodeIfPresent(StateTarget.self, forKey: .target)
        rooms = try container.decode([String: ManagedRoom].self, forKey: .rooms)
        pendingAdds = try container.decode([PendingAdd].self, forKey: .pendingAdds)
        acceptedDrift = try container.decodeIfPresent([AcceptedDrift].self, forKey: .acceptedDrift)
        // Files written before serial and lineage existed read as serial 0 and get both on their next write.
        serial = try container.decodeIfPresent(Int.self, forKey: .serial) ?? 0
        lineage = try container.decodeIfPresent(String.self, forKey: .lineage)
    }

    /// The state as it is after one more write: the serial moves on, and a state without a lineage gets one.
    public func nextStep() -> RoomSyncState {
        var next = self
        next.serial += 1
        if next.lineage == nil { next.lineage = UUID().uuidString.lowercased() }
        return next
    }

    /// The key that manages a live room, if any.
    public func key(managing meetingroomID: Int) -> String? {
        rooms.first { $0.value.meetingroomID == meetingroomID }?.key
    }

    public var managedIDs: Set<Int> { Set(rooms.values.map(\.meetingroomID)) }

    /// SPEC 4: one live room is never mapped to two keys. A state that does (a bad merge of state.json, a hand
    /// edit) is refused when it is read, naming the keys: each key would edit the room its own way on every apply,
    /// and a key no manifest declares any more would delete the room the other one manages. `name` is the state's
    /// (`StateStore.displayName`).
    public func checkOneKeyPerRoom(in name: String) throws {
        var ids = Set<Int>(minimumCapacity: rooms.count)
        var shared: Set<Int> = []
        for room in rooms.values where !ids.insert(room.meetingroomID).inserted { shared.insert(room.meetingroomID) }
        guard let first = shared.min() else { return }
        let keys = rooms.filter { $0.value.meetingroomID == first }.map(\.key).sorted()
        let named = Catalogue.text(
            .stateSharesRoomKeys, ["first": keys.dropLast().map { "'\($0)'" }.joined(separator: ", "), "last": "'\(keys.last!)'"])
        let more = shared.count > 1 ? Catalogue.text(.stateSharesMoreRooms, ["count": shared.count - 1]) : ""
        throw RoomSyncError(.stateSharesRoom, ["state": name, "id": first, "count": keys.count, "keys": named, "more": more])
    }

    /// The mappings (`key`, id) of every id that more than one key maps; empty in a sound state.
    var sharedMappings: Set<String> {
        var keysByID: [Int: [String]] = [:]
        for (key, room) in rooms { keysByID[room.meetingroomID, default: []].append(key) }
        return Set(keysByID.filter { $0.value.count > 1 }.flatMap { id, keys in keys.map { "\($0)=\(id)" } })
    }

    /// The keys managing each of `ids` (one pass over the rooms, however many ids).
    public func managersByID(_ ids: [Int]) -> [Int: String] {
        guard !ids.isEmpty else { return [:] }
        let wanted = Set(ids)
        var managers: [Int: String] = [:]
        for (key, room) in rooms where wanted.contains(room.meetingroomID) { managers[room.meetingroomID] = key }
        return managers
    }
}

/// Where a state's rooms live. Endpoints are compared without trailing slashes: `https://x/` and `https://x` are
/// one WeCom.
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

    /// The endpoint as compared: the text given, less any trailing slashes.
    var comparedEndpoint: Substring {
        var end = endpoint.endIndex
        while end > endpoint.startIndex, endpoint[endpoint.index(before: end)] == "/" { end = endpoint.index(before: end) }
        return endpoint[..<end]
    }

    public static func == (lhs: StateTarget, rhs: StateTarget) -> Bool {
        lhs.comparedEndpoint == rhs.comparedEndpoint && lhs.corpID == rhs.corpID
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(comparedEndpoint)
        hasher.combine(corpID)
    }
}

/// One managed room.
public struct ManagedRoom: Sendable, Hashable, Codable {
    public var meetingroomID: Int
    /// Remembered so that removing the manifest entry of a protected room never deletes it.
    public var protect: Bool
    /// The room as roomsync last left it. `range` here is the only record of the range when `list` hides it.
    public var applied: MeetingRoom {
        get { appliedRecord.room }
        set { appliedRecord = AppliedRecord(newValue) }
    }
    /// `applied.range`, without copying the rest of the record.
    public var appliedRange: RoomRange? { appliedRecord.room.range }
    /// Fields neither planned nor reported as drift (`ignore_changes`), remembered so drift honours them with
    /// no manifest at hand. Written only when not empty.
    public var ignoreChanges: [ManagedField]
    /// `applied`, held by reference: a state's rooms live in a dictionary whose buckets are sized for up to twice
    /// the rooms, and a `MeetingRoom` inline (some 150 bytes) made every bucket, used or not, that much larger. At
    /// 100,000 rooms the dictionary took 50 MB; with the record boxed, 13 MB plus the records themselves.
    private var appliedRecord: AppliedRecord

    public init(meetingroomID: Int, protect: Bool, applied: MeetingRoom, ignoreChanges: [ManagedField] = []) {
        self.meetingroomID = meetingroomID
        self.protect = protect
        self.appliedRecord = AppliedRecord(applied)
        self.ignoreChanges = ignoreChanges
    }

    /// An immutable box: changing `applied` makes a new one, so copies of a `ManagedRoom` never share a change.
    private final class AppliedRecord: Sendable, Hashable {
        let room: MeetingRoom

        init(_ room: MeetingRoom) {
            self.room = room
        }

        static func == (lhs: AppliedRecord, rhs: AppliedRecord) -> Bool {
            lhs === rhs || lhs.room == rhs.room
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(room)
        }
    }

    enum CodingKeys: String, CodingKey {
        case meetingroomID = "meetingroom_id"
        case protect, applied
        case ignoreChanges = "ignore_changes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        meetingroomID = try container.decode(Int.self, forKey: .meetingroomID)
        protect = try container.decode(Bool.self, forKey: .protect)
        appliedRecord = AppliedRecord(try container.decode(MeetingRoom.self, forKey: .applied))
        ignoreChanges = try container.decodeIfPresent([ManagedField].self, forKey: .ignoreChanges) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(meetingroomID, forKey: .meetingroomID)
        try container.encode(protect, forKey: .protect)
        try container.encode(applied, forKey: .applied)
        if !ignoreChanges.isEmpty { try container.encode(ignoreChanges, forKey: .ignoreChanges) }
    }
}

/// An add that was journaled before it was sent.
public struct PendingAdd: Sendable, Hashable, Codable {
    public var key: String
    public var request: AddMeetingRoomRequest
    public var protect: Bool
    /// The room's `ignore_changes`, so a run that settles this add records them too. Written only when not empty.
    public var ignoreChanges: [ManagedField]

    public init(key: String, request: AddMeetingRoomRequest, protect: Bool, ignoreChanges: [ManagedField] = []) {
        self.key = key
        self.request = request
        self.protect = protect
        self.ignoreChanges = ignoreChanges
    }

    enum CodingKeys: String, CodingKey {
        case key, request, protect
        case ignoreChanges = "ignore_changes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        request = try container.decode(AddMeetingRoomRequest.self, forKey: .request)
        protect = try container.decode(Bool.self, forKey: .protect)
        ignoreChanges = try container.decodeIfPresent([ManagedField].self, forKey: .ignoreChanges) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(request, forKey: .request)
        try container.encode(protect, forKey: .protect)
        if !ignoreChanges.isEmpty { try container.encode(ignoreChanges, forKey: .ignoreChanges) }
    }
}
