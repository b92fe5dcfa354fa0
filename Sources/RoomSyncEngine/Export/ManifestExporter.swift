import RoomSyncCore

/// Turns live rooms into a manifest and a state that manages them, so that an organisation with rooms already
/// in WeCom can start from what it has: the next plan is empty.
public enum ManifestExporter {
    public struct Export: Sendable {
        public var manifest: String
        public var state: RoomSyncState
    }

    /// Rooms already in `state` keep their key; others get one made from their name and id.
    public static func export(live: [MeetingRoom], state: RoomSyncState) -> Export {
        var state = state
        var keyByID: [Int: String] = [:]
        for (key, entry) in state.rooms { keyByID[entry.meetingroomID] = key }
        var used = Set(state.rooms.keys)
        var yaml = "# Exported by roomsync from the live rooms. Edit, commit, then `roomsync plan`.\nversion: 1\nrooms:\n"
        for room in live.sorted(by: { $0.meetingroomID < $1.meetingroomID }) {
            let key: String
            if let existing = keyByID[room.meetingroomID] {
                key = existing
            } else {
                key = makeKey(for: room, avoiding: used)
                used.insert(key)
            }
            state.rooms[key] = ManagedRoom(
                meetingroomID: room.meetingroomID, protect: state.rooms[key]?.protect ?? false,
                applied: appliedRecord(afterEditing: room, with: nil, previous: state.rooms[key]?.applied))
            yaml += "  \(quoted(key)):\n"
            yaml += "    name: \(quoted(room.name))\n"
            yaml += "    capacity: \(room.capacity)\n"
            if let location = room.location {
                yaml += "    city: \(quoted(location.city))\n"
                yaml += "    building: \(quoted(location.building))\n"
                yaml += "    floor: \(quoted(location.floor))\n"
            }
            if let equipment = room.equipment {
                let names = equipment.sorted().map { Equipment(rawValue: $0)?.englishName ?? String($0) }
                yaml += "    equipment: [\(names.joined(separator: ", "))]\n"
            }
            if let coordinate = room.coordinate, room.location != nil {
                yaml += "    coordinate: {latitude: \(quoted(coordinate.latitude)), longitude: \(quoted(coordinate.longitude))}\n"
            }
            if let range = room.range ?? state.rooms[key]?.applied.range {
                yaml += "    range:\n"
                yaml += "      user_list: [\(range.userList.map(quoted).joined(separator: ", "))]\n"
                yaml += "      department_list: [\(range.departmentList.map(String.init).joined(separator: ", "))]\n"
            }
            if state.rooms[key]?.protect == true { yaml += "    protect: true\n" }
        }
        if live.isEmpty { yaml += "  {}\n" }
        state.pendingAdds = []
        return Export(manifest: yaml, state: state)
    }

    /// `[a-z0-9][a-z0-9._-]{0,63}` from the ASCII letters and digits of the name, with the id when needed.
    static func makeKey(for room: MeetingRoom, avoiding used: Set<String>) -> String {
        var slug = ""
        for scalar in room.name.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        slug = String(slug.prefix(48))
        let candidate = slug.isEmpty ? "room-\(room.meetingroomID)" : slug
        return used.contains(candidate) ? "\(candidate)-\(room.meetingroomID)" : candidate
    }

    /// A YAML double-quoted scalar; JSON's escapes are valid there, and quoting everything keeps `yes`, `1e3`
    /// or `null` from being read as anything but strings.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
