/// A drift item someone accepted with `drift --accept` (SPEC section 4): later runs list it apart and do not count
/// it as drift while the room stays as it was then. An apply that touches the room clears it.
public struct AcceptedDrift: Sendable, Hashable, Codable {
    /// `changed`, `deleted` or `unmanaged`.
    public var kind: String
    /// The managed key; `nil` for an unmanaged room.
    public var key: String?
    public var meetingroomID: Int
    /// What the drift looked like when it was accepted (the live values of the fields that differed), so that a
    /// further change to the same room is new drift again.
    public var fingerprint: String

    public init(kind: String, key: String?, meetingroomID: Int, fingerprint: String) {
        self.kind = kind
        self.key = key
        self.meetingroomID = meetingroomID
        self.fingerprint = fingerprint
    }

    enum CodingKeys: String, CodingKey {
        case kind, key
        case meetingroomID = "meetingroom_id"
        case fingerprint
    }
}

extension RoomSyncState {
    /// Drops what was accepted about this key or this room: roomsync has just set it to what the manifest says.
    mutating func clearAcceptedDrift(key: String?, meetingroomID: Int?) {
        guard let accepted = acceptedDrift else { return }
        let kept = accepted.filter { item in
            !((key != nil && item.key == key) || (meetingroomID != nil && item.meetingroomID == meetingroomID))
        }
        acceptedDrift = kept.isEmpty ? nil : kept
    }
}
