import Foundation
import RoomSyncCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes the state exactly as `StateFile.encode` does, byte for byte, but keeps each room's encoded text and
/// re-encodes only the rooms that changed. Apply rewrites the whole file after every step (the crash-safety
/// promise), and encoding every room each time made an apply of n adds O(n²).
///
/// `write` goes further for the steps of one store: when the step follows the one this encoder last wrote and its
/// changes name the rooms it touched, only those rooms are looked at, and the file is written straight from the
/// kept texts (`writev`), never assembled in memory. At 9,000 rooms (5 MB) assembling and checking every room
/// cost ~30 ms a step; what is left is the kernel's copy and the flush to disk.
final class StateFileEncoder: Sendable {
    /// One room's text, `,\n    "KEY" : {…}` indented for its place inside `rooms`, in memory of its own so the
    /// file can be written from it directly. The first room of the file is written without the leading `,\n`.
    private final class Fragment {
        let key: String
        let room: ManagedRoom
        let bytes: UnsafeMutableRawBufferPointer

        init(key: String, room: ManagedRoom, text: [UInt8]) {
            self.key = key
            self.room = room
            bytes = .allocate(byteCount: text.count, alignment: 1)
            text.withUnsafeBytes { bytes.copyMemory(from: $0) }
        }

        deinit { bytes.deallocate() }
    }

    private struct Cache {
        var fragments: [String: Fragment] = [:]
        /// The fragments in file order (JSONEncoder's sorted keys), kept between calls.
        var order: [Fragment] = []
        /// The serial of the state the fragments hold, when that state was written to the file by `write` and
        /// nothing was read or written since: a step from it may name its changes instead of being compared whole.
        var basis: Int?
    }

    private let cache = Mutex(Cache())

    /// What JSONEncoder writes for an empty `rooms`, where the cached rooms are spliced in.
    private static let emptyRooms = Array("\"rooms\" : {\n\n  }".utf8)
    private static let separator = 2  // ",\n"

    /// The whole file, every room compared with what is kept: for callers without a list of changes.
    func encode(_ state: RoomSyncState) throws -> Data {
        try cache.withLock { cache in
            cache.basis = nil
            let (head, tail) = try Self.shell(of: state)
            guard let head, let tail else { return try StateFile.encode(state) }
            try Self.refresh(&cache, with: state, changedKeys: nil)
            var data = Data(head)
            for (index, fragment) in cache.order.enumerated() {
                let text = UnsafeRawBufferPointer(fragment.bytes)
                data.append(contentsOf: index == 0 ? UnsafeRawBufferPointer(rebasing: text[Self.separator...]) : text)
            }
            data.append(contentsOf: tail)
            return data
        }
    }

    /// Forgets which state the kept texts belong to: the next `write` compares every room. For a store that has
    /// read its file again (someone else may have written it).
    func forgetBasis() {
        cache.withLock { $0.basis = nil }
    }

    /// Writes `state` to `path` atomically (`AtomicFile`). `changedKeys` are the rooms the step changed since the
    /// state of serial `previous`: when that is the state this encoder last wrote, only they are re-encoded and
    /// the others are taken as they were; otherwise every room is compared. A failed write forgets the basis.
    func write(_ state: RoomSyncState, to path: String, changedKeys: Set<String>?, after previous: Int?) throws {
        try cache.withLock { cache in
            let basis = cache.basis
            cache.basis = nil
            let (head, tail) = try Self.shell(of: state)
            guard let head, let tail else {
                try AtomicFile.write(try StateFile.encode(state), to: path)
                return
            }
            let trusted = previous != nil && basis == previous ? changedKeys : nil
            try Self.refresh(&cache, with: state, changedKeys: trusted)
            // In debug builds (the tests), a step whose changes left a room out is caught here; in a release build
            // the file would hold that room as it was, as a database backend, which writes only named rows, would.
            assert(trusted == nil || Self.matches(cache, state), "a state step changed rooms its changes do not name")
            try head.withUnsafeBytes { head in
                try tail.withUnsafeBytes { tail in
                    var parts: [UnsafeRawBufferPointer] = []
                    parts.reserveCapacity(cache.order.count + 2)
                    parts.append(head)
                    for (index, fragment) in cache.order.enumerated() {
                        let text = UnsafeRawBufferPointer(fragment.bytes)
                        parts.append(index == 0 ? UnsafeRawBufferPointer(rebasing: text[Self.separator...]) : text)
                    }
                    parts.append(tail)
                    try AtomicFile.write(parts, to: path)
                }
            }
            cache.basis = state.serial
        }
    }

    /// The file before and after the rooms' contents, by JSONEncoder itself so the layout is its own; `nil`s when
    /// there are no rooms (the plain encoding is the file) or the layout is not the one expected.
    private static func shell(of state: RoomSyncState) throws -> ([UInt8]?, [UInt8]?) {
        guard !state.rooms.isEmpty else { return (nil, nil) }
        var shell = state
        shell.rooms = [:]
        let outer = try [UInt8](StateFile.encode(shell))
        guard let splice = range(of: emptyRooms, in: outer) else { return (nil, nil) }
        var head = Array(outer[..<splice.lowerBound])
        head.append(contentsOf: "\"rooms\" : {\n".utf8)
        var tail = Array("\n  }".utf8)
        tail.append(contentsOf: outer[splice.upperBound...])
        return (head, tail)
    }

    /// Brings the kept texts up to `state`: only `changedKeys` when given (the others are the same rooms as
    /// before), else every room compared. Falls back to comparing every room when the named changes do not
    /// account for the number of rooms.
    private static func refresh(_ cache: inout Cache, with state: RoomSyncState, changedKeys: Set<String>?) throws {
        let encoder = JSONOutput.encoder()
        do {
            if let changedKeys, changedKeys.count <= max(16, cache.order.count / 8) {
                for key in changedKeys.sorted(by: precedes) {
                    try update(&cache, key: key, room: state.rooms[key], encoder: encoder)
                }
                if cache.order.count == state.rooms.count { return }
            }
            try rebuild(&cache, with: state, encoder: encoder)
        } catch {
            // Half-updated, the cache could leave rooms out of the next file: start over next time.
            cache = Cache()
            throw error
        }
    }

    /// One key: encoded again, added in its place, or removed.
    private static func update(_ cache: inout Cache, key: String, room: ManagedRoom?, encoder: JSONEncoder) throws {
        let existing = cache.fragments[key]
        guard let room else {
            guard existing != nil else { return }
            cache.fragments[key] = nil
            cache.order.remove(at: position(of: key, in: cache.order))
            return
        }
        if let existing, existing.room == room { return }
        let fragment = Fragment(key: key, room: room, text: try text(key: key, room: room, encoder: encoder))
        cache.fragments[key] = fragment
        let index = position(of: key, in: cache.order)
        if existing != nil {
            cache.order[index] = fragment
        } else {
            cache.order.insert(fragment, at: index)
        }
    }

    /// Every room of `state` compared with what is kept; keys no longer in the state leave the cache, so it never
    /// outgrows the state.
    private static func rebuild(_ cache: inout Cache, with state: RoomSyncState, encoder: JSONEncoder) throws {
        var fragments: [String: Fragment] = [:]
        fragments.reserveCapacity(state.rooms.count)
        for (key, room) in state.rooms {
            if let kept = cache.fragments[key], kept.room == room {
                fragments[key] = kept
            } else {
                fragments[key] = Fragment(key: key, room: room, text: try text(key: key, room: room, encoder: encoder))
            }
        }
        // Kept keys are already in order: sort only the new ones and merge them in.
        var order: [Fragment] = []
        order.reserveCapacity(fragments.count)
        var added = fragments.values.filter { cache.fragments[$0.key] !== $0 }.sorted { precedes($0.key, $1.key) }
            .makeIterator()
        var pending = added.next()
        for kept in cache.order {
            guard let current = fragments[kept.key], current === kept else { continue }
            while let new = pending, precedes(new.key, kept.key) {
                order.append(new)
                pending = added.next()
            }
            order.append(kept)
        }
        while let new = pending {
            order.append(new)
            pending = added.next()
        }
        cache.fragments = fragments
        cache.order = order
    }

    /// Whether the cache holds exactly `state`'s rooms, in order (a check for debug builds).
    private static func matches(_ cache: Cache, _ state: RoomSyncState) -> Bool {
        guard cache.order.count == state.rooms.count, cache.fragments.count == state.rooms.count else { return false }
        for (index, fragment) in cache.order.enumerated() {
            guard state.rooms[fragment.key] == fragment.room, cache.fragments[fragment.key] === fragment else { return false }
            if index > 0, !precedes(cache.order[index - 1].key, fragment.key) { return false }
        }
        return true
    }

    /// Where `key` is, or would go, in `order`.
    private static func position(of key: String, in order: [Fragment]) -> Int {
        var low = 0, high = order.count
        while low < high {
            let middle = (low + high) / 2
            if precedes(order[middle].key, key) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// `,\n    "KEY" : {…}` with the room's lines indented two levels, as JSONEncoder nests them.
    private static func text(key: String, room: ManagedRoom, encoder: JSONEncoder) throws -> [UInt8] {
        var bytes = Array(",\n    ".utf8)
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
