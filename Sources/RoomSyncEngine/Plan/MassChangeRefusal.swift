/// SPEC 4: a plan the mass-delete or the mass re-add guard refused, with the rooms it would have deleted or
/// re-added, so that every output format lists them (a pull-request comment shows what was refused, not only that
/// something was).
public struct MassChangeRefusal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case delete
        /// Managed rooms added again because they vanished from `list`.
        case readd
    }

    public var kind: Kind
    /// The rooms it would delete, or re-add, in key order.
    public var rooms: [Room]
    /// What they are a share of: the rooms that could be deleted, or the managed rooms.
    public var base: Int
    /// How `base` is named: `managed` or `live`.
    public var counted: String
    /// The share the guard allows, in percent.
    public var percent: Int

    public init(kind: Kind, rooms: [Room], base: Int, counted: String, percent: Int = Int(PlanOptions.massDeleteFraction * 100)) {
        self.percent = percent
        self.kind = kind
        self.rooms = rooms.sorted { $0.key < $1.key }
        self.base = base
        self.counted = counted
    }

    /// The one line of the error.
    public var message: String {
        let share = "more than \(percent)%"
        switch kind {
        case .delete:
            return "the plan deletes \(rooms.count) of \(base) \(counted) rooms (\(share)); "
                + "check the manifests, then pass --allow-mass-delete if this is intended"
        case .readd:
            return "the plan re-adds \(rooms.count) of \(base) managed rooms that vanished from list (\(share)); a list that "
                + "suddenly misses rooms is more likely wrong (the app's visible range changed, a partial answer) and "
                + "re-adding them makes duplicates: check with `roomsync drift`, then pass --allow-mass-readd if they "
                + "were really deleted"
        }
    }

    /// A room as the refusal lists it: its key (`#ID` for an unmanaged one), its id (for a re-add, the one that
    /// vanished) and its name.
    public struct Room: Sendable, Hashable, Encodable {
        public var key: String
        public var meetingroomID: Int
        public var name: String

        public init(key: String, meetingroomID: Int, name: String) {
            self.key = key
            self.meetingroomID = meetingroomID
            self.name = name
        }

        enum CodingKeys: String, CodingKey {
            case key
            case meetingroomID = "meetingroom_id"
            case name
        }
    }
}
