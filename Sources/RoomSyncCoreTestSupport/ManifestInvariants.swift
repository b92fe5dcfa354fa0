import RoomSyncCore

/// What must hold for any bytes the manifest reader is given, however hostile: the oracle shared by the
/// fuzz tests and the libFuzzer target (fuzz/run.sh compiles this file into it). It restates the rules of SPEC
/// section 2 on its own instead of calling the decoder's helpers, so a bug there cannot hide itself.
public enum ManifestInvariants {
    /// Every broken rule, as one line each; empty when the result is sound. `name` is the file name the bytes
    /// were read under.
    public static func violations(of result: ManifestReadResult, name: String) -> [String] {
        var problems: [String] = []
        for diagnostic in result.diagnostics {
            let text = diagnostic.description
            guard let location = diagnostic.location else {
                problems.append("diagnostic without a location: \(text.debugDescription)")
                continue
            }
            if location.file != name || location.line < 1 || location.column < 1 {
                problems.append("diagnostic at a bad position: \(text.debugDescription)")
            }
            if diagnostic.message.isEmpty || diagnostic.message.contains(where: \.isNewline) {
                problems.append("diagnostic message is not one line: \(text.debugDescription)")
            }
            let expected = "\(name):\(location.line):\(location.column): \(diagnostic.severity.rawValue): \(diagnostic.message)"
            if text != expected {
                problems.append("diagnostic does not render as FILE:LINE:COLUMN: error: MESSAGE: \(text.debugDescription)")
            }
        }
        guard !result.hasErrors else {
            // A manifest with errors must not hand out rooms that a plan could act on half-checked.
            return problems
        }
        var keys = Set<String>()
        for room in result.rooms {
            let shown = room.key.debugDescription
            if !keys.insert(room.key).inserted { problems.append("room key \(shown) appears twice") }
            if !isValidKey(room.key) { problems.append("room key \(shown) breaks [a-z0-9][a-z0-9._-]{0,63}") }
            if !(1...30).contains(room.name.unicodeScalars.count) {
                problems.append("room \(shown) has a name of \(room.name.unicodeScalars.count) characters")
            }
            if !(1...100_000).contains(room.capacity) { problems.append("room \(shown) has capacity \(room.capacity)") }
            if let location = room.location, [location.city, location.building, location.floor].contains("") {
                problems.append("room \(shown) has an empty city, building or floor")
            }
            if let range = room.range {
                if range.userList.count > 1000 || range.departmentList.count > 1000 {
                    problems.append("room \(shown) has a range longer than 1000")
                }
                if range.userList.contains("") { problems.append("room \(shown) has an empty user id") }
                if range.departmentList.contains(where: { !(1...4_294_967_295).contains($0) }) {
                    problems.append("room \(shown) has a department id out of range")
                }
            }
            if let coordinate = room.coordinate {
                for (value, limit) in [(coordinate.latitude, 90.0), (coordinate.longitude, 180.0)] {
                    if let number = Double(value), abs(number) <= limit { continue }
                    problems.append("room \(shown) has coordinate \(value.debugDescription)")
                }
            }
            if room.origin.file != name || room.origin.line < 1 || room.origin.column < 1 {
                problems.append("room \(shown) has origin \(room.origin)")
            }
        }
        return problems
    }

    /// `[a-z0-9][a-z0-9._-]{0,63}` spelled out over characters, independent of the decoder's byte check.
    static func isValidKey(_ key: String) -> Bool {
        let lowerOrDigit = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        guard let first = key.unicodeScalars.first, key.unicodeScalars.count <= 64,
              lowerOrDigit.contains(Character(first)) else { return false }
        return key.unicodeScalars.dropFirst().allSatisfy { lowerOrDigit.contains(Character($0)) || "._-".unicodeScalars.contains($0) }
    }
}
