import Foundation
import RoomSyncCore
import RoomSyncPinyin

/// Turns live rooms into a manifest, so that an organisation with rooms already in WeCom can start from what it
/// has. Export is read-only (SPEC 3): rooms the state manages keep their keys, and every other room gets an
/// `import:` entry, so the next plan shows it as `= import` and the apply a reviewer approved adopts it. Nothing
/// is written to the state: a hand-made room becomes managed only through a reviewed change.
///
/// Each value goes through the rules `validate` applies. A field a manifest cannot hold (an equipment id this
/// version does not know, an empty city) is left out, which tells roomsync to leave it alone; a room whose name or
/// capacity a manifest cannot hold is left out and stays unmanaged. Both are said, as a warning and as a comment
/// in the manifest.
public enum ManifestExporter {
    public struct Export: Sendable {
        public var manifest: String
        /// Rooms written to the manifest.
        public var rooms: Int
        /// Of them, those the state does not manage yet: each has an `import:` entry.
        public var imports: Int
        /// What could not be exported as WeCom has it, one line each.
        public var warnings: [String]
    }

    /// Rooms `state` manages keep their key; others get one made from their name, unique among all keys, and an
    /// `import:` entry. `state` is only read (its journaled adds already settled by the caller).
    public static func export(live: [MeetingRoom], state: RoomSyncState) -> Export {
        var keyByID: [Int: String] = [:]
        for (key, entry) in state.rooms { keyByID[entry.meetingroomID] = key }
        var keys = KeyMaker(used: Set(state.rooms.keys))
        var warnings: [String] = []
        var yaml = "# Exported by roomsync from the live rooms. Edit, commit, then `roomsync plan`.\nversion: 1\nrooms:\n"
        var written = 0
        var imports: [(key: String, id: Int)] = []
        let liveIDs = Set(live.map(\.meetingroomID))
        for (key, entry) in state.rooms.sorted(by: { $0.key < $1.key }) where !liveIDs.contains(entry.meetingroomID) {
            warnings.append(
                "room '\(key)' (meetingroom_id \(entry.meetingroomID)) is in the state but not live; left out of the manifest, so the next plan forgets it")
        }
        for room in live.sorted(by: { $0.meetingroomID < $1.meetingroomID }) {
            let managed = keyByID[room.meetingroomID] != nil
            if let reason = unexportable(room) ?? (managed ? nil : unimportable(room)) {
                if let key = keyByID[room.meetingroomID] {
                    warnings.append(
                        "room '\(key)' (meetingroom_id \(room.meetingroomID), \(ManifestRules.shown(room.name))) left out of the manifest (\(reason)); "
                            + "the state manages it, so a plan of this manifest deletes it unless you declare it by hand")
                } else {
                    warnings.append(
                        "meetingroom_id \(room.meetingroomID) (\(ManifestRules.shown(room.name))) left out of the manifest (\(reason)); it stays unmanaged, so `--prune` would delete it")
                }
                yaml += "  # meetingroom_id \(room.meetingroomID) left out: \(reason)\n"
                continue
            }
            let key: String
            if let existing = keyByID[room.meetingroomID] {
                key = existing
            } else {
                key = keys.makeKey(for: room)
                imports.append((key, room.meetingroomID))
            }
            let entry = state.rooms[key].flatMap { $0.meetingroomID == room.meetingroomID ? $0 : nil }
            // The range `list` leaves out (it shows it to WeCom's own meeting-room app only) is the one last applied.
            let applied = appliedRecord(afterEditing: room, with: nil, previous: entry?.applied)
            written += 1
            var lines: [String] = []
            let leftOut = { (field: String, reason: String) -> String in
                warnings.append(
                    "room '\(key)' (meetingroom_id \(room.meetingroomID)): \(field) left out of the manifest (\(reason)); roomsync leaves it alone")
                return "# \(field) left out: \(reason)"
            }
            ManagedFieldTable.forEachRow { row in row.export(applied, into: &lines, leftOut: leftOut) }
            if entry?.protect == true { lines.append("protect: true") }
            // need_approval is read-only: kept in the state's last-applied record, never sent; said here so the
            // manifest's reader knows.
            if let approval = room.needApproval, approval != 0 {
                lines.append("# need_approval: \(approval) (bookings need approval; set in the admin console, roomsync never changes it)")
            }
            yaml += "  \(quoted(key)):\n" + lines.map { "    \($0)\n" }.joined()
        }
        if written == 0 { yaml += "  {}\n" }
        if !imports.isEmpty {
            yaml += "# Rooms the state does not manage yet: the next plan shows each as `= import`, and its apply adopts it.\n"
            yaml += "import:\n" + imports.map { "  - {key: \(quoted($0.key)), meetingroom_id: \($0.id)}\n" }.joined()
        }
        return Export(manifest: yaml, rooms: written, imports: imports.count, warnings: warnings)
    }

    /// Why a manifest cannot declare this room at all: `name` and `capacity` are required.
    static func unexportable(_ room: MeetingRoom) -> String? {
        let length = room.name.unicodeScalars.count
        if !(1...ManifestRules.maxNameLength).contains(length) {
            return "its name has \(length) characters; a manifest takes 1 to \(ManifestRules.maxNameLength)"
        }
        if !ManifestRules.capacityRange.contains(room.capacity) {
            return "capacity \(room.capacity) is outside \(ManifestRules.capacityRange.lowerBound)-\(ManifestRules.capacityRange.upperBound)"
        }
        return nil
    }

    /// Why an `import:` entry cannot adopt this room: the manifest takes WeCom's 32-bit ids only.
    static func unimportable(_ room: MeetingRoom) -> String? {
        ManifestRules.meetingroomIDRange.contains(room.meetingroomID)
            ? nil : "an import: entry takes a meetingroom_id of \(ManifestRules.meetingroomIDRange.lowerBound)-\(ManifestRules.meetingroomIDRange.upperBound)"
    }

    enum LocationExport {
        case none
        case valid(RoomLocation)
        case invalid(String)
    }

    /// City, building and floor go together and none may be empty; WeCom's `list` may still show one empty.
    static func location(of room: MeetingRoom) -> LocationExport {
        let parts = [("city", room.city), ("building", room.building), ("floor", room.floor)]
        if parts.allSatisfy({ $0.1 == nil }) { return .none }
        if let missing = parts.first(where: { $0.1 == nil }) { return .invalid("WeCom lists no \(missing.0)") }
        if let empty = parts.first(where: { $0.1!.isEmpty }) { return .invalid("WeCom lists an empty \(empty.0)") }
        return .valid(RoomLocation(city: room.city!, building: room.building!, floor: room.floor!))
    }

    static func invalidCoordinate(_ coordinate: Coordinate) -> String? {
        for (label, text, limit) in [("latitude", coordinate.latitude, 90), ("longitude", coordinate.longitude, 180)]
        where !ManifestRules.isCoordinate(text, limit: limit) {
            return "\(label) '\(ManifestRules.shown(text))' is not a decimal between -\(limit) and \(limit)"
        }
        return nil
    }

    static func invalidRange(_ range: RoomRange) -> String? {
        let limit = ManifestRules.maxRangeEntries
        if range.userList.count > limit { return "user_list has \(range.userList.count) entries, more than \(limit)" }
        if range.departmentList.count > limit {
            return "department_list has \(range.departmentList.count) entries, more than \(limit)"
        }
        if range.userList.contains("") { return "user_list holds an empty user id" }
        if let id = range.departmentList.first(where: { !ManifestRules.departmentRange.contains($0) }) {
            return "department id \(id) is outside \(ManifestRules.departmentRange.lowerBound)-\(ManifestRules.departmentRange.upperBound)"
        }
        return nil
    }

    /// A YAML double-quoted scalar. JSON's escapes are valid there, and quoting everything keeps `yes`, `1e3`
    /// or `null` from being read as anything but strings; what YAML does not allow in a stream (C0 and C1
    /// controls, noncharacters) is escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where isPrintableInYAML(scalar.value):
                out.unicodeScalars.append(scalar)
            case _ where scalar.value <= 0xFF:
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            case _ where scalar.value <= 0xFFFF:
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default:
                out += "\\U" + String(scalar.value, radix: 16).leftPadded(to: 8)
            }
        }
        return out + "\""
    }

    /// What may stand for itself inside quotes: YAML 1.1's `c-printable` (which libyaml enforces on the whole
    /// stream) less its line breaks (NEL, LS, PS, which a quoted scalar folds into spaces) and the byte-order
    /// mark.
    private static func isPrintableInYAML(_ value: UInt32) -> Bool {
        switch value {
        case 0x2028, 0x2029, 0xFEFF: false
        case 0x20...0x7E, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}

/// Makes keys matching `[a-z0-9][a-z0-9._-]{0,63}` that no other key has: from the name (Chinese in pinyin, read
/// phrase by phrase), else `room-ID`; a taken key gets the id, then a counter, appended.
struct KeyMaker {
    private(set) var used: Set<String>
    /// The Latin letters of each non-ASCII character the pinyin table does not read, worked out once: the
    /// transliterator costs about a third of a millisecond a call, and a corp's room names share a few thousand
    /// characters.
    private var latin: [Unicode.Scalar: (text: String, syllable: Bool)] = [:]

    init(used: Set<String>) {
        self.used = used
    }

    mutating func makeKey(for room: MeetingRoom) -> String {
        let slug = Self.trimmed(String(slug(room.name).prefix(48)))
        let base = slug.isEmpty ? "room-\(room.meetingroomID)" : slug
        var candidate = base
        var attempt = 1
        while used.contains(candidate) {
            let suffix = attempt == 1 ? "-\(room.meetingroomID)" : "-\(room.meetingroomID)-\(attempt)"
            candidate = Self.trimmed(String(base.prefix(64 - suffix.count))) + suffix
            attempt += 1
        }
        assert(ManifestRules.isValidKey(candidate), "made an invalid key '\(candidate)'")
        used.insert(candidate)
        return candidate
    }

    /// The ASCII letters and digits of the name, lowercased, with runs of anything else, and the boundaries of
    /// each Chinese syllable, as one `-`: `18F-会议室` gives `18f-hui-yi-shi`, `重庆大厦` `chong-qing-da-sha` (a
    /// phrase is read as a phrase), `Café` gives `cafe`.
    mutating func slug(_ name: String) -> String {
        var slug = ""
        func separate() {
            if !slug.isEmpty, slug.last != "-" { slug.append("-") }
        }
        let scalars = Array(name.unicodeScalars)
        let pinyin = Pinyin.readings(of: scalars)
        for (scalar, reading) in zip(scalars, pinyin) {
            let (text, syllable): (String, Bool) =
                if let reading { (reading, true) } else if scalar.isASCII { (String(scalar), false) } else { latinLetters(scalar) }
            if syllable { separate() }
            for letter in text.lowercased().unicodeScalars {
                if ("a"..."z").contains(letter) || ("0"..."9").contains(letter) {
                    slug.unicodeScalars.append(letter)
                } else {
                    separate()
                }
            }
            if syllable { separate() }
        }
        return slug
    }

    /// The platform's pinyin of a Chinese character the table lacks (a syllable of its own), or another letter
    /// without its accents.
    private mutating func latinLetters(_ scalar: Unicode.Scalar) -> (text: String, syllable: Bool) {
        if let known = latin[scalar] { return known }
        let original = String(scalar)
        let pinyin = original.applyingTransform(.mandarinToLatin, reverse: false) ?? original
        let plain = pinyin.applyingTransform(.stripDiacritics, reverse: false) ?? pinyin
        let result = (text: plain, syllable: pinyin != original)
        latin[scalar] = result
        return result
    }

    private static func trimmed(_ key: String) -> String {
        var key = key
        while key.hasSuffix("-") { key.removeLast() }
        return key
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
