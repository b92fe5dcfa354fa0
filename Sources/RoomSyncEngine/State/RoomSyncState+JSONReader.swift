import Foundation
import RoomSyncCore

// The state file is read on every plan and apply, and at 100,000 rooms it is tens of megabytes: read it with
// `JSONReader` (same fields and rules as the `Decodable` conformances). `StateFile.load` falls back to
// `JSONDecoder` whenever this throws, so a damaged file still gets the precise message.

extension RoomSyncState {
    init(reading reader: inout JSONReader) throws {
        var formatVersion: Int?
        var target: StateTarget?
        var rooms: [String: ManagedRoom]?
        var pendingAdds: [PendingAdd]?
        var serial = 0
        var lineage: String?
        var acceptedDrift: [AcceptedDrift]?
        try reader.readFields { key, reader in
            switch key {
            case "format_version": formatVersion = try reader.readInt()
            case "target": target = try reader.readNull() ? nil : StateTarget(reading: &reader)
            case "rooms":
                var read: [String: ManagedRoom] = [:]
                try reader.readObject { key, reader in read[key] = try ManagedRoom(reading: &reader) }
                rooms = read
            case "pending_adds":
                var read: [PendingAdd] = []
                try reader.readArray { read.append(try PendingAdd(reading: &$0)) }
                pendingAdds = read
            case "serial": serial = try reader.readInt()
            case "lineage": lineage = try reader.readNull() ? nil : reader.readString()
            case "accepted_drift":
                if try !reader.readNull() {
                    var read: [AcceptedDrift] = []
                    try reader.readArray { read.append(try AcceptedDrift(reading: &$0)) }
                    acceptedDrift = read
                }
            default: try reader.skipValue()
            }
        }
        guard let formatVersion, let rooms, let pendingAdds else { throw JSONReader.Unexpected() }
        self.init(target: target, rooms: rooms, pendingAdds: pendingAdds, acceptedDrift: acceptedDrift, serial: serial, lineage: lineage)
        self.formatVersion = formatVersion
    }
}

extension RoomSyncState {
    /// A state kept in parts, as a database keeps it: the document (a state without rooms and journal), the rooms
    /// as one object by key, and the journal as one array. Read with `JSONReader`; whatever it does not take goes
    /// to JSONDecoder, which reads it or says precisely what is wrong.
    public init(document: UnsafeRawBufferPointer, rooms: UnsafeRawBufferPointer, pendingAdds: UnsafeRawBufferPointer) throws {
        self = try (try? JSONReader.read(document) { try RoomSyncState(reading: &$0) })
            ?? JSONDecoder().decode(RoomSyncState.self, from: Data(document))
        self.rooms = try (try? JSONReader.read(rooms) { reader in
            var read: [String: ManagedRoom] = [:]
            try reader.readObject { key, reader in read[key] = try ManagedRoom(reading: &reader) }
            return read
        }) ?? JSONDecoder().decode([String: ManagedRoom].self, from: Data(rooms))
        self.pendingAdds = try (try? JSONReader.read(pendingAdds) { reader in
            var read: [PendingAdd] = []
            try reader.readArray { read.append(try PendingAdd(reading: &$0)) }
            return read
        }) ?? JSONDecoder().decode([PendingAdd].self, from: Data(pendingAdds))
    }
}

extension StateTarget {
    init(reading reader: inout JSONReader) throws {
        var endpoint: String?, corpID: String?
        try reader.readFields { key, reader in
            switch key {
            case "endpoint": endpoint = try reader.readString()
            case "corp_id": corpID = try reader.readNull() ? nil : reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let endpoint else { throw JSONReader.Unexpected() }
        self.init(endpoint: endpoint, corpID: corpID)
    }
}

extension ManagedRoom {
    init(reading reader: inout JSONReader) throws {
        var id: Int?, protect: Bool?, applied: MeetingRoom?
        var ignoreChanges: [ManagedField] = []
        try reader.readFields { key, reader in
            switch key {
            case "meetingroom_id": id = try reader.readInt()
            case "protect": protect = try reader.readBool()
            case "applied": applied = try MeetingRoom(reading: &reader)
            case "ignore_changes": ignoreChanges = try ManagedField.read(&reader)
            default: try reader.skipValue()
            }
        }
        guard let id, let protect, let applied else { throw JSONReader.Unexpected() }
        self.init(meetingroomID: id, protect: protect, applied: applied, ignoreChanges: ignoreChanges)
    }
}

extension PendingAdd {
    init(reading reader: inout JSONReader) throws {
        var key: String?, request: AddMeetingRoomRequest?, protect: Bool?
        var ignoreChanges: [ManagedField] = []
        try reader.readFields { field, reader in
            switch field {
            case "key": key = try reader.readString()
            case "request": request = try AddMeetingRoomRequest(reading: &reader)
            case "protect": protect = try reader.readBool()
            case "ignore_changes": ignoreChanges = try ManagedField.read(&reader)
            default: try reader.skipValue()
            }
        }
        guard let key, let request, let protect else { throw JSONReader.Unexpected() }
        self.init(key: key, request: request, protect: protect, ignoreChanges: ignoreChanges)
    }
}

extension AcceptedDrift {
    init(reading reader: inout JSONReader) throws {
        var kind: String?, key: String?, id: Int?, fingerprint: String?
        try reader.readFields { field, reader in
            switch field {
            case "kind": kind = try reader.readString()
            case "key": key = try reader.readNull() ? nil : reader.readString()
            case "meetingroom_id": id = try reader.readInt()
            case "fingerprint": fingerprint = try reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let kind, let id, let fingerprint else { throw JSONReader.Unexpected() }
        self.init(kind: kind, key: key, meetingroomID: id, fingerprint: fingerprint)
    }
}

extension ManagedField {
    /// `["capacity", …]`; an unknown name is left to JSONDecoder's precise message.
    static func read(_ reader: inout JSONReader) throws -> [ManagedField] {
        var fields: [ManagedField] = []
        try reader.readArray { reader in
            guard let field = ManagedField(rawValue: try reader.readString()) else { throw JSONReader.Unexpected() }
            fields.append(field)
        }
        return fields
    }
}
