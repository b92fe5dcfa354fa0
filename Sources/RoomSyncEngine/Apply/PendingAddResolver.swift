import RoomSyncCore

/// Settles adds a previous run journaled but never saw answered: if the room exists live (unmanaged, and
/// everything the add sent is what it shows) it is the one that add created, and the key now maps to it;
/// otherwise the add never happened and the next plan adds the room again.
public enum PendingAddResolver {
    /// Returns a line per resolved entry, for the user.
    @discardableResult
    public static func resolve(_ state: inout RoomSyncState, live: [MeetingRoom]) -> [String] {
        guard !state.pendingAdds.isEmpty else { return [] }
        var notes: [String] = []
        var managed = state.managedIDs
        for pending in state.pendingAdds {
            if state.rooms[pending.key] != nil, let id = state.rooms[pending.key]?.meetingroomID,
                live.contains(where: { $0.meetingroomID == id })
            {
                continue
            }
            let match = live.filter { !managed.contains($0.meetingroomID) && pending.request.wouldCreate($0) }
                .min { $0.meetingroomID < $1.meetingroomID }
            if let match {
                state.rooms[pending.key] = ManagedRoom(
                    meetingroomID: match.meetingroomID, protect: pending.protect,
                    applied: appliedRecord(afterAdding: pending.request, id: match.meetingroomID, live: match),
                    ignoreChanges: pending.ignoreChanges)
                managed.insert(match.meetingroomID)
                notes.append(Catalogue.text(.notePendingAddMapped, ["key": pending.key, "id": match.meetingroomID]))
            } else {
                notes.append(Catalogue.text(.notePendingAddLost, ["key": pending.key]))
            }
        }
        state.pendingAdds = []
        return notes
    }
}
