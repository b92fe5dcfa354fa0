import RoomSyncCore

/// SPEC 4: a plan the mass-delete or the mass re-add guard refused, with the rooms it would have deleted or
/// re-added, so that every output format lists them (a pull-request comment shows what was refused, not only that
/// something was).
public struct MassChangeRefusal: Error, Sendable, Hashable, RenderableError {
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

    /// What the guard says, in the language of whoever prints it.
    public var text: LocalizedText {
        let counted = Catalogue.text(counted == "live" ? .massChangeCountedLive : .massChangeCountedManaged)
        return LocalizedText(
            kind == .delete ? .massDeleteRefused : .massReaddRefused,
            ["count": String(rooms.count), "base": String(base), "counted": counted, "percent": String(percent)])
    }

    /// The one line of the error, without `error:`.
    public var message: String { text.rendered() }

    public var diagnostics: [Diagnostic] { [Diagnostic(.error, at: nil, text)] }

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
