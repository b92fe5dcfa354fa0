import RoomSyncCore

// The last-applied record the state keeps for each room: what roomsync believes the room is after its own
// operation, so drift can tell the console's changes from ours and a hidden `range` is still known.

/// The record kept in state after an add: what was sent, with the coordinates WeCom kept for the building. For a
/// room found by listing, the range is what WeCom shows when it shows one; the request's only when it hides it.
func appliedRecord(afterAdding request: AddMeetingRoomRequest, id: Int, live: MeetingRoom?) -> MeetingRoom {
    var record = MeetingRoom(meetingroomID: id, name: request.name, capacity: request.capacity, needApproval: live?.needApproval)
    ManagedFieldTable.forEachRow { row in row.record(added: request, live: live, into: &record) }
    return record
}

/// The record kept in state after an edit: the room as it was seen, with the edit laid over it.
func appliedRecord(afterEditing seen: MeetingRoom, with request: EditMeetingRoomRequest?, previous: MeetingRoom?) -> MeetingRoom {
    var room = seen
    if room.range == nil { room.range = previous?.range }
    guard let request else { return room }
    return room.laying(request)
}
