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

    private struct Cache {
        var fragments: [String: Fragment] = [:]
        /// The keys of `fragments` in file order, kept between calls: sorting every key on every write was most
        /// of the work once the rooms themselves were cached.
        var order: [String] = []
    }

    private let cache = Mutex(Cache())

    /// What JSONEncoder writes for an empty `rooms`, where the cached rooms are spliced in.
    private static let emptyRooms = Array("\"rooms\" : {\n\n  }".utf8)

    func encode(_ state: RoomSyncState) throws -> Data {
        // Everything but the rooms, by JSONEncoder itself, so the layout is its own.
        var shell = state
        shell.rooms = [:]
        let outer = try [UInt8](StateFile.encode(shell))
        guard !state.rooms.isEmpty else { return Data(outer) }
        guard let splice = Self.range(of: Self.emptyRooms, in: outer) else { return try StateFile.encode(state) }

        let encoder = JSONOutput.encoder()
        var output: [UInt8] = []
        try cache.withLock { cache in
            // Keys new since the last call are sorted among themselves and merged into the kept order; keys no
            // longer in the state leave it, so the cache never outgrows the state.
            let added = state.rooms.keys.filter { cache.fragments[$0] == nil }.sorted(by: Self.precedes)
            var order: [String] = []
            order.reserveCapacity(state.rooms.count)
            var next = added.makeIterator()
            var pending = next.next()
            for key in cache.order {
                guard state.rooms[key] != nil else {
                    cache.fragments[key] = nil
                    continue
                }
                while let new = pending, Self.precedes(new, key) {
                    order.append(new)
                    pending = next.next()
                }
                order.append(key)
            }
            while let new = pending {
                order.append(new)
                pending = next.next()
            }

            output.reserveCapacity(outer.count + state.rooms.count * (cache.fragments.first?.value.bytes.count ?? 512) + 64)
            output.append(contentsOf: outer[..<splice.lowerBound])
            output.append(contentsOf: "\"rooms\" : {\n".utf8)
            for (index, key) in order.enumerated() {
                if index > 0 { output.append(contentsOf: ",\n".utf8) }
                let room = state.rooms[key]!
                if let cached = cache.fragments[key], cached.room == room {
                    output.append(contentsOf: cached.bytes)
                } else {
                    let bytes: [UInt8]
                    do {
                        bytes = try Self.fragment(key: key, room: room, encoder: encoder)
                    } catch {
                        // Half-updated, the cache could leave rooms out of the next file: start over next time.
                        cache = Cache()
                        throw error
                    }
                    cache.fragments[key] = Fragment(room: room, bytes: bytes)
                    output.append(contentsOf: bytes)
                }
            }
            cache.order = order
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

    /// JSONEncoder's `.sortedKeys` order: by UTF-8 bytes.
    private static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { a in
            b.withUTF8 { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return order < 0 || (order == 0 && a.count < b.count)
            }
        }
    }

    private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start..<(start + needle.count) }
        }
        return nil
    }
}
