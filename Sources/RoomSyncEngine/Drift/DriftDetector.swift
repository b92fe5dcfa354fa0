import RoomSyncCore

/// How the live rooms differ from what roomsync last applied.
public struct DriftReport: Sendable, Hashable, Codable {
    public struct Item: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case changed
            case deleted
            case unmanaged
        }

        /// The managed key; `nil` for unmanaged rooms.
        public var key: String?
        public var kind: Kind
        public var meetingroomID: Int
        public var name: String
        /// For `changed`: before is what was applied, after is what is live.
        public var fields: [FieldChange]
        /// Accepted with `drift --accept` and unchanged since: listed apart, not counted as drift.
        public var accepted: Bool

        public init(key: String?, kind: Kind, meetingroomID: Int, name: String, fields: [FieldChange], accepted: Bool = false) {
            self.key = key
            self.kind = kind
            self.meetingroomID = meetingroomID
            self.name = name
            self.fields = fields
            self.accepted = accepted
        }

        enum CodingKeys: String, CodingKey {
            case key, kind
            case meetingroomID = "meetingroom_id"
            case name, fields, accepted
        }

        /// What this item would be remembered as by `drift --accept`.
        public var acceptance: AcceptedDrift {
            // The live values of the fields that differ: the same drift gives the same text, a further change
            // another. Deleted and unmanaged rooms have nothing more to change.
            let fingerprint = fields.sorted { $0.field < $1.field }.map { "\($0.field)=\($0.after)" }.joined(separator: "\n")
            return AcceptedDrift(kind: kind.rawValue, key: key, meetingroomID: meetingroomID, fingerprint: fingerprint)
        }
    }

    /// New drift first, then what was accepted, each in the detector's order.
    public var items: [Item]
    /// How many rooms the report covers that roomsync manages.
    public var managedRooms: Int
    /// When the report was limited to a subset (SPEC 11): which, and how many managed rooms it covered.
    public var subset: SubsetCoverage?

    public init(items: [Item], managedRooms: Int = 0, subset: SubsetCoverage? = nil) {
        self.items = items
        self.managedRooms = managedRooms
        self.subset = subset
    }

    /// Drift of this kind that was not accepted.
    public func count(_ kind: Item.Kind) -> Int { items.lazy.filter { $0.kind == kind && !$0.accepted }.count }
    /// Items accepted earlier and unchanged since.
    public var acceptedCount: Int { items.lazy.filter(\.accepted).count }
    /// Whether there is drift that was not accepted: what makes drift exit 2.
    public var hasDrift: Bool { items.contains { !$0.accepted } }
    /// Everything this report shows, as `drift --accept` records it.
    public var acceptance: [AcceptedDrift] { items.map(\.acceptance) }
}

public enum DriftDetector {
    /// `declared`: with manifest PATHs, the keys they declare, and only those rooms are reported (SPEC 4); `nil`
    /// reports every managed room and the unmanaged ones. Adds an interrupted run journaled are settled first (in
    /// this copy of the state), so the room such an add made is not called unmanaged.
    /// `subset` limits the report further (SPEC 11): a managed key is placed by its live room, else its
    /// last-applied record; unmanaged rooms only by a location filter.
    public static func detect(
        state: RoomSyncState, live: [MeetingRoom], declared: Set<String>? = nil, subset: Subset = Subset()
    ) -> DriftReport {
        var state = state
        PendingAddResolver.resolve(&state, live: live)
        var byID: [Int: MeetingRoom] = [:]
        for room in live { byID[room.meetingroomID] = room }
        var items: [DriftReport.Item] = []
        let covers = { (key: String, entry: ManagedRoom) in
            subset.isEverything || subset.contains(key: key, declared: nil, live: byID[entry.meetingroomID], applied: entry.applied)
        }
        for (key, entry) in state.rooms.sorted(by: { $0.key < $1.key }) where declared?.contains(key) ?? true {
            guard covers(key, entry) else { continue }
            guard let current = byID[entry.meetingroomID] else {
                items.append(.init(key: key, kind: .deleted, meetingroomID: entry.meetingroomID, name: entry.applied.name, fields: []))
                continue
            }
            let fields = differences(applied: entry.applied, live: current, ignoring: entry.ignoreChanges)
            if !fields.isEmpty {
                items.append(.init(key: key, kind: .changed, meetingroomID: current.meetingroomID, name: current.name, fields: fields))
            }
        }
        // Unmanaged rooms belong to no manifest: reported only when drift covers everything.
        if declared == nil {
            let managed = state.managedIDs
            for room in live.sorted(by: { $0.meetingroomID < $1.meetingroomID })
            where !managed.contains(room.meetingroomID) && (subset.isEverything || subset.containsUnmanaged(room)) {
                items.append(.init(key: nil, kind: .unmanaged, meetingroomID: room.meetingroomID, name: room.name, fields: []))
            }
        }
        let covered = state.rooms.lazy.filter { key, entry in (declared?.contains(key) ?? true) && covers(key, entry) }.count
        let coverage = subset.isEverything
            ? nil : SubsetCoverage(subset: subset, rooms: covered, managedRooms: state.rooms.count)
        return marking(DriftReport(items: items, managedRooms: covered, subset: coverage), accepted: state.acceptedDrift ?? [])
    }

    /// Marks the items that match drift accepted earlier (same kind, room and fingerprint) and puts them after the
    /// new ones.
    public static func marking(_ report: DriftReport, accepted: [AcceptedDrift]) -> DriftReport {
        guard !accepted.isEmpty else { return report }
        let known = Set(accepted)
        var result = report
        for index in result.items.indices {
            result.items[index].accepted = known.contains(result.items[index].acceptance)
        }
        result.items = result.items.filter { !$0.accepted } + result.items.filter(\.accepted)
        return result
    }

    /// What changed since `applied`, field by field, as drift shows it (before: applied, after: live): the one
    /// comparison (`RoomDiff`) read from the applied record, whose range stands for one `list` does not return.
    static func differences(applied: MeetingRoom, live: MeetingRoom, ignoring ignored: [ManagedField] = []) -> [FieldChange] {
        RoomDiff.changes(from: RoomTarget(applied: applied, ignoring: ignored), to: live, applied: applied).map(\.drifted)
    }
}
