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
                    applied: appliedRecord(afterAdding: pending.request, id: match.meetingroomID, live: match))
                managed.insert(match.meetingroomID)
                notes.append("room '\(pending.key)': an interrupted add had created meetingroom_id \(match.meetingroomID); now mapped")
            } else {
                notes.append("room '\(pending.key)': an interrupted add had not reached WeCom; it will be added")
            }
        }
        state.pendingAdds = []
        return notes
    }
}

/// The record kept in state after an add: what was sent, with the coordinates WeCom kept for the building. For a
/// room found by listing, the range is what WeCom shows when it shows one; the request's only when it hides it.
func appliedRecord(afterAdding request: AddMeetingRoomRequest, id: Int, live: MeetingRoom?) -> MeetingRoom {
    MeetingRoom(
        meetingroomID: id, name: request.name, capacity: request.capacity, city: request.city,
        building: request.building, floor: request.floor,
        equipment: request.equipment.map { Array(Set($0)).sorted() } ?? live?.equipment,
        coordinate: live?.coordinate ?? request.coordinate, needApproval: live?.needApproval,
        range: live?.range ?? request.range)
}

/// The record kept in state after an edit: the room as it was seen, with the edit laid over it.
func appliedRecord(afterEditing seen: MeetingRoom, with request: EditMeetingRoomRequest?, previous: MeetingRoom?) -> MeetingRoom {
    var room = seen
    if room.range == nil { room.range = previous?.range }
    guard let request else { return room }
    if let name = request.name { room.name = name }
    if let capacity = request.capacity { room.capacity = capacity }
    if let city = request.city, let building = request.building, let floor = request.floor {
        room.city = city
        room.building = building
        room.floor = floor
    }
    if let equipment = request.equipment { room.equipment = Array(Set(equipment)).sorted() }
    if let coordinate = request.coordinate { room.coordinate = coordinate }
    if let range = request.range { room.range = range }
    return room
}
