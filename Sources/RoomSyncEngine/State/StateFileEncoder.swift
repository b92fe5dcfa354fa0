import Foundation
import RoomSyncCore
import Synchronization

/// Encodes the state exactly as `StateFile.encode` does, byte for byte, but keeps each room's encoded text and
/// re-encodes only the rooms that changed since the last call. Apply rewrites the whole file after every
/// operation (the crash-safety promise), and encoding every room each time made an apply of n adds O(n²):
/// with this, each write is a copy of the unchanged rooms' bytes plus the encoding of the few that changed.
final class StateFileEncoder: Sendable {
    private struct Fragment {
        var room: ManagedRoom
        /// `"KEY" : {…}`, indented for its place inside `rooms`.
        var bytes: [UInt8]
    }

    private let fragments = Mutex<[String: Fragment]>([:])

    /// What JSONEncoder writes for an empty `rooms`, where the cached rooms are spliced in.
    private static let emptyRooms = Array("\"rooms\" : {\n\n  }".utf8)

    func encode(_ state: RoomSyncState) throws -> Data {
        // Everything but the rooms, by JSONEncoder itself, so the layout is its own.
        var shell = state
        shell.rooms = [:]
        let outer = try [UInt8](StateFile.encode(shell))
        guard !state.rooms.isEmpty else { return Data(outer) }
        guard let splice = Self.range(of: Self.emptyRooms, in: outer) else { return try StateFile.encode(state) }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var output: [UInt8] = []
        try fragments.withLock { fragments in
            // Rooms no longer in the state are dropped from the cache, so it never outgrows the state.
            if fragments.count > state.rooms.count { fragments = fragments.filter { state.rooms[$0.key] != nil } }
            var size = outer.count
            var body: [[UInt8]] = []
            body.reserveCapacity(state.rooms.count)
            // JSONEncoder's `.sortedKeys` orders keys by their UTF-8 bytes.
            for key in state.rooms.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                let room = state.rooms[key]!
                if let cached = fragments[key], cached.room == room {
                    body.append(cached.bytes)
                } else {
                    let bytes = try Self.fragment(key: key, room: room, encoder: encoder)
                    fragments[key] = Fragment(room: room, bytes: bytes)
                    body.append(bytes)
                }
                size += body[body.count - 1].count + 2
            }
            output.reserveCapacity(size + 32)
            output.append(contentsOf: outer[..<splice.lowerBound])
            output.append(contentsOf: "\"rooms\" : {\n".utf8)
            for (index, bytes) in body.enumerated() {
                if index > 0 { output.append(contentsOf: ",\n".utf8) }
                output.append(contentsOf: bytes)
            }
            output.append(contentsOf: "\n  }".utf8)
            output.append(contentsOf: outer[splice.upperBound...])
        }
        return Data(output)
    }

    /// `    "KEY" : {…}` with the room's lines indented two levels, as JSONEncoder nests them.
    private static func fragment(key: String, room: ManagedRoom, encoder: JSONEncoder) throws -> [UInt8] {
        var bytes = Array("    ".utf8)
        bytes.append(contentsOf: try encoder.encode(key))
        bytes.append(contentsOf: " : ".utf8)
        let encoded = [UInt8](try encoder.encode(room))
        for (index, byte) in encoded.enumerated() {
            bytes.append(byte)
            // JSON strings never hold a raw newline, so every newline is a line break of the layout; the blank
            // line JSONEncoder writes inside an empty array stays blank.
            if byte == UInt8(ascii: "\n"), index + 1 < encoded.count, encoded[index + 1] != UInt8(ascii: "\n") {
                bytes.append(contentsOf: "    ".utf8)
            }
        }
        return bytes
    }

    private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start..<(start + needle.count) }
        }
        return nil
    }
}
