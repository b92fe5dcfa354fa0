import RoomSyncCore

extension Plan {
    /// SPEC 3, `apply --plan`: each operation of a saved plan re-derived from what it records against the current
    /// state, one finding per operation the state forbids or the file contradicts. A plan file is JSON anyone can
    /// edit: its action, its ids and its requests are checked, not trusted, so that a protected room is never
    /// deleted, an id is the one the state maps the key to, and what apply prints is what it sends.
    func refusals(against stored: RoomSyncState, live: [MeetingRoom]) -> [SavedPlanFinding] {
        var findings: [SavedPlanFinding] = []
        // Moves run first: the other operations use the keys they leave.
        var state = stored
        for change in changes where change.action == .move {
            guard let from = change.from, let entry = state.rooms[from], entry.meetingroomID == change.meetingroomID,
                state.rooms[change.key] == nil
            else {
                findings.append(refusal(change, "the move from '\(change.from ?? "?")' is not one the state allows"))
                continue
            }
            state.rooms[change.key] = state.rooms.removeValue(forKey: from)
        }
        // Which key manages each id the plan touches, found in one pass (a pass per prune was quadratic).
        let managers = state.managersByID(changes.compactMap(\.meetingroomID))
        let liveIDs = Set(live.map(\.meetingroomID))
        for change in changes where change.action != .move {
            if let reason = Self.refusal(of: change, state: state, managers: managers) {
                findings.append(refusal(change, reason))
            } else if change.action == .adopt, let key = change.manifestKey, let entry = state.rooms[key],
                liveIDs.contains(entry.meetingroomID)
            {
                // Adopting a twin is for a key whose room vanished; over a live room it would leave that one
                // unmanaged.
                findings.append(refusal(change, "the key still manages meetingroom_id \(entry.meetingroomID), which is live"))
            }
        }
        // A key is forgotten because its room is gone; forgetting a live room's key would have the next plan
        // adopt it or add it again.
        for key in forgottenKeys {
            guard let entry = state.rooms[key], liveIDs.contains(entry.meetingroomID) else { continue }
            findings.append(SavedPlanFinding(
                room: SavedPlanFinding.Room(key: key, meetingroomID: entry.meetingroomID),
                reason: "forget '\(key)' (meetingroom_id \(entry.meetingroomID)): its room is live"))
        }
        return findings
    }

    private func refusal(_ change: PlannedChange, _ reason: String) -> SavedPlanFinding {
        let id = change.meetingroomID.map { " (meetingroom_id \($0))" } ?? ""
        return SavedPlanFinding(
            room: SavedPlanFinding.Room(key: change.manifestKey, meetingroomID: change.meetingroomID),
            reason: "\(change.action.rawValue) '\(change.key)'\(id): \(reason)")
    }

    /// Why the state forbids `change`, or the file contradicts itself, if it does.
    private static func refusal(of change: PlannedChange, state: RoomSyncState, managers: [Int: String]) -> String? {
        let entry = change.manifestKey.flatMap { state.rooms[$0] }
        switch change.action {
        case .move:
            return nil
        case .delete:
            guard let id = change.meetingroomID else { return "it names no meetingroom_id" }
            if change.isUnmanagedRoom {
                if let holder = managers[id] { return "'\(holder)' manages it; only an unmanaged room is pruned" }
            } else {
                guard let entry else { return "the key is not in the state" }
                guard entry.meetingroomID == id else { return "the state maps the key to meetingroom_id \(entry.meetingroomID)" }
                if entry.protect { return "it is protected and is never deleted (`roomsync state rm` stops managing it)" }
            }
            guard change.addRequest == nil, change.editRequest == nil,
                change.fields == change.seen.map({ [FieldChange(field: "name", before: .string($0.name), after: .none)] })
            else { return "what the plan shows is not a delete" }
            return nil
        case .change:
            guard let id = change.meetingroomID, let entry else { return "the key is not in the state" }
            guard entry.meetingroomID == id else { return "the state maps the key to meetingroom_id \(entry.meetingroomID)" }
            guard let request = change.editRequest else { return "it has no edit to send" }
            return sentMismatch(request, change)
        case .adopt, .import:
            guard let id = change.meetingroomID else { return "it names no meetingroom_id" }
            if let holder = managers[id] { return "'\(holder)' already manages it" }
            if change.action == .import, let entry { return "the key already manages meetingroom_id \(entry.meetingroomID)" }
            guard let request = change.editRequest else { return change.fields.isEmpty ? nil : "it shows changes it does not send" }
            return sentMismatch(request, change)
        case .add:
            guard change.meetingroomID == nil, change.editRequest == nil, let request = change.addRequest else {
                return "it is not an add of a new room"
            }
            guard RoomTarget(values: request, managed: .all).addedFields == change.fields else {
                return "what the plan shows is not what it would send"
            }
            return nil
        }
    }

    /// Whether `request` sends exactly what `change` shows: the room it shows, and each field it shows changing
    /// to the value shown, nothing else (a location part that stays as it is is sent with the others, unshown).
    private static func sentMismatch(_ request: EditMeetingRoomRequest, _ change: PlannedChange) -> String? {
        guard request.meetingroomID == change.meetingroomID else {
            return "its edit is for meetingroom_id \(request.meetingroomID), not the room it shows"
        }
        guard let seen = change.seen else { return "it has no live record" }
        var sent: [(String, FieldValue, FieldValue?)] = []
        ManagedFieldTable.forEachRow { row in row.sent(request, seen: seen, into: &sent) }
        let shown = change.fields
        let matches = sent.count == shown.count && zip(sent, shown).allSatisfy { sent, shown in
            sent.0 == shown.field && sent.1 == shown.after && (sent.2 == nil || sent.2 == shown.before)
        }
        return matches ? nil : "what the plan shows is not what it would send"
    }
}
