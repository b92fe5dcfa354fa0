#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RoomSyncCore

/// A plan written by `plan --out` and applied exactly by `apply --plan`. It carries, for every room it touches,
/// the live record it saw and the state entries it saw (the key's mapping, the key managing each touched id);
/// applying it later is refused if any of those changed in between.
public struct SavedPlan: Sendable, Hashable, Codable {
    public static let kind = "roomsync-plan"

    public var formatVersion: Int
    public var kind: String
    public var target: StateTarget
    public var createdAt: String
    public var plan: Plan
    /// The state as the plan saw it, for the keys and ids it touches. Absent in plans saved by older versions,
    /// which are refused: without it no operation can be checked against the state.
    public var stateSeen: StateSeen?
    /// The manifest PATHs the plan was made from, for the hint to make it again. Absent in older plans.
    public var paths: [String]?

    public init(target: StateTarget, plan: Plan, state: RoomSyncState, paths: [String]? = nil, createdAt: Date = Date()) {
        self.formatVersion = 1
        self.kind = Self.kind
        self.target = target
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.plan = plan
        self.stateSeen = StateSeen(plan: plan, state: state)
        self.paths = paths
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind, target
        case createdAt = "created_at"
        case plan
        case stateSeen = "state_seen"
        case paths
    }

    /// What the state said, when the plan was made, about the keys and ids the plan touches.
    public struct StateSeen: Sendable, Hashable, Codable {
        /// A manifest key and the id it mapped to (`nil`: not in the state).
        public struct Mapping: Sendable, Hashable, Codable {
            public var key: String
            public var meetingroomID: Int?
            /// The entry's `protect` (`nil`: not in the state, or a plan saved before it was recorded).
            public var protect: Bool?

            enum CodingKeys: String, CodingKey {
                case key
                case meetingroomID = "meetingroom_id"
                case protect
            }
        }

        /// A live room and the key that managed it (`nil`: unmanaged).
        public struct Manager: Sendable, Hashable, Codable {
            public var meetingroomID: Int
            public var key: String?

            enum CodingKeys: String, CodingKey {
                case meetingroomID = "meetingroom_id"
                case key
            }
        }

        public var mappings: [Mapping]
        public var managers: [Manager]

        init(plan: Plan, state: RoomSyncState) {
            var keys: [String] = []
            var ids: [Int] = []
            var seenKeys: Set<String> = [], seenIDs: Set<Int> = []
            for change in plan.changes {
                // A pruned room has no manifest key; its id is what the state must not start managing.
                if let key = change.manifestKey, seenKeys.insert(key).inserted { keys.append(key) }
                if let from = change.from, seenKeys.insert(from).inserted { keys.append(from) }
                if let id = change.meetingroomID, seenIDs.insert(id).inserted { ids.append(id) }
            }
            for key in plan.forgottenKeys where seenKeys.insert(key).inserted { keys.append(key) }
            let managersByID = state.managersByID(ids)
            mappings = keys.map { Mapping(key: $0, meetingroomID: state.rooms[$0]?.meetingroomID, protect: state.rooms[$0]?.protect) }
            managers = ids.map { Manager(meetingroomID: $0, key: managersByID[$0]) }
        }

        /// One finding per entry that changed since.
        func changes(in state: RoomSyncState) -> [SavedPlanFinding] {
            var findings: [SavedPlanFinding] = []
            for mapping in mappings {
                let now = state.rooms[mapping.key]
                let room = SavedPlanFinding.Room(key: mapping.key, meetingroomID: mapping.meetingroomID ?? now?.meetingroomID)
                guard now?.meetingroomID == mapping.meetingroomID else {
                    switch (mapping.meetingroomID, now?.meetingroomID) {
                    case (let then?, nil):
                        findings.append(SavedPlanFinding(room: room, reason: "'\(mapping.key)' is no longer in the state (it mapped to meetingroom_id \(then) when the plan was made)"))
                    case (nil, let now?):
                        findings.append(SavedPlanFinding(room: room, reason: "'\(mapping.key)' now maps to meetingroom_id \(now) (it was not in the state when the plan was made)"))
                    case (let then?, let now?):
                        findings.append(SavedPlanFinding(room: room, reason: "'\(mapping.key)' now maps to meetingroom_id \(now) (it mapped to meetingroom_id \(then) when the plan was made)"))
                    case (nil, nil):
                        break
                    }
                    continue
                }
                // A room protected since (or no longer): what the plan may do to it changed.
                if let then = mapping.protect, let now = now?.protect, now != then {
                    findings.append(SavedPlanFinding(
                        room: room,
                        reason: "'\(mapping.key)' is \(now ? "now protected" : "no longer protected") (it was \(then ? "" : "not ")protected when the plan was made)"))
                }
            }
            let managersNow = state.managersByID(managers.map(\.meetingroomID))
            for manager in managers {
                let now = managersNow[manager.meetingroomID]
                guard now != manager.key else { continue }
                let then = manager.key.map { "it was managed by '\($0)'" } ?? "it was unmanaged"
                let line = now.map { "meetingroom_id \(manager.meetingroomID) is now managed by '\($0)'" }
                    ?? "meetingroom_id \(manager.meetingroomID) is no longer managed"
                findings.append(SavedPlanFinding(room: SavedPlanFinding.Room(key: nil, meetingroomID: manager.meetingroomID), reason: line + " (\(then) when the plan was made)"))
            }
            return findings
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONOutput.encoder()
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func read(from path: String) throws -> SavedPlan {
        // Read as the state is, so a failure is the system's reason (`Is a directory`), not Foundation's text.
        let data: Data
        do {
            guard let read = try AtomicFile.read(path) else { throw FileSystemError(.read, path: path, code: ENOENT) }
            data = read
        } catch {
            throw RoomSyncError(.cannotReadPlanFile, ["path": path, "reason": RoomSyncError.systemReason(of: error)])
        }
        let saved: SavedPlan
        do {
            saved = try JSONDecoder().decode(SavedPlan.self, from: data)
        } catch {
            throw RoomSyncError(.notAPlanFile, ["path": path, "why": describe(error)])
        }
        guard saved.kind == kind, saved.formatVersion == 1 else {
            throw RoomSyncError(.planFileVersion, ["path": path])
        }
        return saved
    }

    /// `apply --plan PATH`: the plan saved there, if it was made for `target`, still holds against the live rooms
    /// and the state, and each of its operations is one the current state allows (`refusals`).
    public static func applicable(_ path: String, target: StateTarget, live: [MeetingRoom], state: RoomSyncState) throws -> Plan {
        let saved = try read(from: path)
        guard saved.target == target else {
            throw RoomSyncError(.planForOtherTarget, ["path": path, "made": saved.target, "target": target])
        }
        let command = saved.planCommand(path)
        guard saved.stateSeen != nil else {
            throw RoomSyncError(.planWithoutState, ["path": path, "command": command])
        }
        let findings = saved.staleFindings(live: live, state: state)
        guard findings.isEmpty else {
            throw RoomSyncError(.planStale, ["path": path, "findings": SavedPlanFinding.summary(findings), "command": command])
        }
        let refusals = saved.plan.refusals(against: state, live: live)
        guard refusals.isEmpty else {
            throw RoomSyncError(.planRefused, ["path": path, "findings": SavedPlanFinding.summary(refusals), "command": command])
        }
        return saved.plan.seeing(live)
    }

    /// The command that makes this plan again, with the manifest PATHs and the subset it was made from.
    func planCommand(_ path: String) -> String {
        (["roomsync", "plan"] + (paths ?? []) + (plan.subset?.subset.arguments ?? []) + ["--out", path]).joined(separator: " ")
    }

    /// Why the plan no longer holds, one line per reason; empty when it can be applied. Only rooms the plan
    /// touches count: a change anywhere else does not make it stale.
    public func staleReasons(live: [MeetingRoom], state: RoomSyncState) -> [String] {
        staleFindings(live: live, state: state).map(\.reason)
    }

    func staleFindings(live: [MeetingRoom], state: RoomSyncState) -> [SavedPlanFinding] {
        var byID: [Int: MeetingRoom] = [:]
        for room in live { byID[room.meetingroomID] = room }
        var findings: [SavedPlanFinding] = []
        for change in plan.changes {
            let room = SavedPlanFinding.Room(key: change.manifestKey, meetingroomID: change.meetingroomID)
            switch change.action {
            case .add:
                if let entry = state.rooms[change.key], byID[entry.meetingroomID] != nil {
                    findings.append(SavedPlanFinding(
                        room: SavedPlanFinding.Room(key: change.key, meetingroomID: entry.meetingroomID),
                        reason: "'\(change.key)' already exists as meetingroom_id \(entry.meetingroomID)"))
                }
            case .move:
                // State-only: the state entries it saw (both keys) are checked below.
                continue
            case .change, .delete, .adopt, .import:
                guard let id = change.meetingroomID else { continue }
                guard let current = byID[id] else {
                    findings.append(SavedPlanFinding(room: room, reason: "'\(change.key)' (meetingroom_id \(id)) no longer exists"))
                    continue
                }
                // What the operation depends on is what roomsync manages and sends, read through the one room
                // comparison; a read-only field (`need_approval`, set in the admin console) changing alone is not a
                // reason to refuse, and a reason always names what changed.
                if let seen = change.seen, current != seen {
                    let fields = DriftDetector.differences(applied: seen, live: current).map(\.field)
                    if !fields.isEmpty {
                        findings.append(SavedPlanFinding(
                            room: room,
                            reason: "'\(change.key)' (meetingroom_id \(id)) changed since the plan was made (\(fields.joined(separator: ", ")))"))
                    }
                }
                // Plans saved without the state they saw still refuse an adoption of a room some key took since.
                if stateSeen == nil, change.action == .adopt, let holder = state.key(managing: id) {
                    findings.append(SavedPlanFinding(room: room, reason: "'\(change.key)' would adopt meetingroom_id \(id), which '\(holder)' now manages"))
                }
            }
        }
        return findings + (stateSeen?.changes(in: state) ?? [])
    }
}

/// One reason a saved plan cannot be applied, and the room it is about: a message names each room once, with how
/// many there are, rather than every reason of every room (at hundreds of rooms, one line of tens of kilobytes).
struct SavedPlanFinding: Sendable, Hashable {
    /// A room by its id where one is known, else by its key: a key's mapping and its id's manager are one room.
    struct Room: Sendable, Hashable {
        var key: String?
        var meetingroomID: Int?

        var identity: String { meetingroomID.map { "#\($0)" } ?? "'\(key ?? "")'" }
    }

    var room: Room
    var reason: String

    /// Rooms named in full, at most; the rest are counted.
    static let shown = 10

    /// The findings of each room together (in the order the rooms first appear), the first `shown` rooms in full,
    /// then how many more; with more than one room, how many there are first.
    static func summary(_ findings: [SavedPlanFinding]) -> String {
        var order: [String] = []
        var reasons: [String: [String]] = [:]
        for finding in findings {
            let identity = finding.room.identity
            if reasons[identity] == nil { order.append(identity) }
            if reasons[identity]?.contains(finding.reason) != true { reasons[identity, default: []].append(finding.reason) }
        }
        let named = order.prefix(shown).map { reasons[$0]!.joined(separator: "; ") }.joined(separator: "; ")
        guard order.count > 1 else { return named }
        let more = order.count > shown ? "; and \(order.count - shown) more" : ""
        return "\(order.count) rooms: \(named)\(more)"
    }
}

extension Plan {
    /// This plan with each room's live record as `live` has it now, for a saved plan found not stale: its managed
    /// fields are as the plan saw them, but what apply records as the room's last-applied record (read-only fields
    /// such as `need_approval` included) is the room as it is, not as it was.
    func seeing(_ live: [MeetingRoom]) -> Plan {
        var byID: [Int: MeetingRoom] = [:]
        for room in live { byID[room.meetingroomID] = room }
        var plan = self
        for index in plan.changes.indices where plan.changes[index].seen != nil {
            if let id = plan.changes[index].meetingroomID, let current = byID[id] { plan.changes[index].seen = current }
        }
        return plan
    }
}
