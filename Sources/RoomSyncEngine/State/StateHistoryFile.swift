import Foundation
import RoomSyncCore

/// The file backend's history: one JSON object a line, appended after each step that changed a mapping. A line cut
/// short by a crash is skipped when reading; the state file, not this, is the truth. The steps file beside it
/// (`StateStep`, one a line) is written and read the same way.
enum StateHistoryFile {
    static func append<Entry: Encodable>(_ entries: [Entry], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var data = Data()
        for entry in entries {
            data.append(try encoder.encode(entry))
            data.append(UInt8(ascii: "\n"))
        }
        do {
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let end = try handle.seekToEnd()
            // A line cut short by a crash must not swallow this one: end it first.
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                if try handle.read(upToCount: 1) != Data([UInt8(ascii: "\n")]) {
                    try handle.write(contentsOf: Data([UInt8(ascii: "\n")]))
                }
            }
            try handle.write(contentsOf: data)
        } catch {
            throw RoomSyncError(.cannotAppendStateHistory, ["path": path, "reason": RoomSyncError.systemReason(of: error)])
        }
    }

    static func read(_ path: String, key: String?, limit: Int) throws -> [StateHistoryEntry] {
        var entries: [StateHistoryEntry] = []
        try readLines(path, as: StateHistoryEntry.self) { entry in
            if key == nil || entry.key == key { entries.append(entry) }
        }
        return Array(entries.reversed().prefix(limit))
    }

    /// Every line that decodes as `Entry`, in file order; the others (cut short by a crash) are skipped.
    static func readLines<Entry: Decodable>(_ path: String, as type: Entry.Type, _ each: (Entry) -> Void) throws {
        let data: Data
        do {
            guard let read = try AtomicFile.read(path) else { return }
            data = read
        } catch {
            throw RoomSyncError(.cannotReadStateHistory, ["path": path, "reason": RoomSyncError.systemReason(of: error)])
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else { continue }
            each(entry)
        }
    }
}
