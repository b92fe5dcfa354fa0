import Foundation
import RoomSyncCore

/// A plan written by `plan --out` and applied exactly by `apply --plan`. It carries, for every room it touches,
/// the live record it saw; applying it later is refused if any of those records changed in between.
public struct SavedPlan: Sendable, Hashable, Codable {
    public static let kind = "roomsync-plan"

    public var formatVersion: Int
    public var kind: String
    public var target: StateTarget
    public var createdAt: String
    public var plan: Plan

    public init(target: StateTarget, plan: Plan, createdAt: Date = Date()) {
        self.formatVersion = 1
        self.kind = Self.kind
        self.target = target
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.plan = plan
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind, target
        case createdAt = "created_at"
        case plan
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func read(from path: String) throws -> SavedPlan {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EngineError("cannot read plan file \(path): \(error.localizedDescription)")
        }
        let saved: SavedPlan
        do {
            saved = try JSONDecoder().decode(SavedPlan.self, from: data)
        } catch {
            throw EngineError("\(path) is not a roomsync plan file (\(describe(error)))")
        }
        guard saved.kind == kind, saved.formatVersion == 1 else {
            throw EngineError("\(path) is not a roomsync plan file of format_version 1")
        }
        return saved
    }

    /// Why the plan no longer holds, one line per room; empty when it can be applied. Only rooms the plan touches
    /// count: a change anywhere else does not make it stale.
    public func staleReasons(live: [MeetingRoom], state: RoomSyncState) -> [String] {
        var byID: [Int: MeetingRoom] = [:]
        for room in live { byID[room.meetingroomID] = room }
        var reasons: [String] = []
        for change in plan.changes {
            switch change.action {
            case .add:
                if let entry = state.rooms[change.key], byID[entry.meetingroomID] != nil {
                    reasons.append("'\(change.key)' already exists as meetingroom_id \(entry.meetingroomID)")
                }
            case .change, .delete, .adopt:
                guard let id = change.meetingroomID else { continue }
                guard let current = byID[id] else {
                    reasons.append("'\(change.key)' (meetingroom_id \(id)) no longer exists")
                    continue
                }
                if let seen = change.seen, current != seen {
                    let fields = DriftDetector.differences(applied: seen, live: current).map(\.field)
                    let what = fields.isEmpty ? "" : " (\(fields.joined(separator: ", ")))"
                    reasons.append("'\(change.key)' (meetingroom_id \(id)) changed since the plan was made\(what)")
                }
                if change.action == .adopt, let holder = state.key(managing: id) {
                    reasons.append("'\(change.key)' would adopt meetingroom_id \(id), which '\(holder)' now manages")
                }
            }
        }
        return reasons
    }
}
