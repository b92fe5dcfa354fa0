import Foundation
import RoomSyncCore

/// `--target`, `--exclude`, `--city`, `--building` (SPEC 11): the part of the rooms a plan, apply or drift covers.
///
/// A key is in the subset when it matches a `--target` pattern (or there is none), matches no `--exclude` pattern,
/// and its room is in the `--city` (and `--building`) when one is named. A managed key's location is its manifest
/// entry's when the manifest names one, else its live room's, else the last-applied record's.
///
/// Unmanaged live rooms have no key: they are in the subset only through a location filter, and never when a
/// `--target` pattern asks for keys; so `--prune` with key patterns alone deletes nothing.
public struct Subset: Sendable, Hashable, Codable {
    public var targets: [String]
    public var excludes: [String]
    public var city: String?
    public var building: String?

    public init(targets: [String] = [], excludes: [String] = [], city: String? = nil, building: String? = nil) {
        self.targets = targets
        self.excludes = excludes
        self.city = city
        self.building = building
    }

    /// No filter: everything is covered, and output says nothing about a subset.
    public var isEverything: Bool { targets.isEmpty && excludes.isEmpty && city == nil && building == nil }

    /// Whether `key`, whose room is at `city`/`building` (when known), is in the subset.
    public func contains(key: String, city roomCity: String?, building roomBuilding: String?) -> Bool {
        if !targets.isEmpty, !targets.contains(where: { Self.glob($0, matches: key) }) { return false }
        if excludes.contains(where: { Self.glob($0, matches: key) }) { return false }
        return containsLocation(city: roomCity, building: roomBuilding)
    }

    /// Whether an unmanaged live room (no key) is in the subset: only a location filter covers one.
    public func containsUnmanaged(_ room: MeetingRoom) -> Bool {
        guard targets.isEmpty, city != nil else { return false }
        return containsLocation(city: room.city, building: room.building)
    }

    /// A room with no known location is outside any location filter: a filter never reaches rooms it cannot place.
    func containsLocation(city roomCity: String?, building roomBuilding: String?) -> Bool {
        if let city, roomCity != city { return false }
        if let building, roomBuilding != building { return false }
        return true
    }

    /// Whether a managed key is in the subset: located by its manifest entry, else its live room, else the
    /// last-applied record.
    func contains(key: String, declared: DesiredRoom?, live: MeetingRoom?, applied: MeetingRoom?) -> Bool {
        if let location = declared?.location {
            return contains(key: key, city: location.city, building: location.building)
        }
        let located = live ?? applied
        return contains(key: key, city: located?.city, building: located?.building)
    }

    /// A shell-style glob on keys: `*` any run of characters, `?` one character; everything else stands for itself.
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars)
        let text = Array(text.unicodeScalars)
        var p = 0
        var t = 0
        // Where the last `*` was, and the text position it has been tried to cover up to: backtracking to it alone
        // is enough for `*`-and-`?` globs, so matching stays linear-ish rather than exponential.
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < pattern.count, pattern[p] == "*" {
                star = (p, t)
                p += 1
            } else if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let last = star {
                p = last.pattern + 1
                t = last.text + 1
                star = (last.pattern, last.text + 1)
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// `--target 'sz-*' --exclude sz-lab --city 深圳`: the flags that ask for this subset, quoted for a shell.
    public var arguments: [String] {
        var parts: [String] = []
        parts += targets.map { "--target \(Self.shellQuoted($0))" }
        parts += excludes.map { "--exclude \(Self.shellQuoted($0))" }
        if let city { parts.append("--city \(Self.shellQuoted(city))") }
        if let building { parts.append("--building \(Self.shellQuoted(building))") }
        return parts
    }

    /// How the subset was asked for, for output and for the command that makes a plan again.
    public var description: String { arguments.joined(separator: " ") }

    static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "-_./:@".unicodeScalars.contains(scalar)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// What a plan or drift report covered when it was limited to a subset: recorded in saved plans.
public struct SubsetCoverage: Sendable, Hashable, Codable {
    public var subset: Subset
    /// Managed rooms in the subset.
    public var rooms: Int
    /// Managed rooms in all.
    public var managedRooms: Int

    public init(subset: Subset, rooms: Int, managedRooms: Int) {
        self.subset = subset
        self.rooms = rooms
        self.managedRooms = managedRooms
    }

    enum CodingKeys: String, CodingKey {
        case subset, rooms
        case managedRooms = "managed_rooms"
    }

    /// `(subset: 3 of 10 managed rooms)`, as every format says it.
    /// `(subset: 3 of 10 managed rooms)`, as JSON carries it in every language.
    public var note: String { readableNote(in: .en) }

    /// The note in the reader's language, for text and markdown.
    public func readableNote(in language: Language = Language.current) -> String {
        Catalogue.text(.subsetNote, ["rooms": rooms, "managed": managedRooms], in: language)
    }
}

/// A subset applied to one plan's inputs: which managed keys it covers, worked out once against the state as the
/// plan's moves leave it, the manifests and the live rooms.
struct SubsetScope {
    let subset: Subset
    /// The state's keys that the subset covers.
    let coveredKeys: Set<String>
    private let declaredByKey: [String: DesiredRoom]
    private let state: RoomSyncState
    private let index: LiveIndex

    /// `nil` when the subset is everything, so a plan without subset flags takes the path it always took.
    init?(_ subset: Subset, declared: [DesiredRoom], state: RoomSyncState, index: LiveIndex) {
        guard !subset.isEverything else { return nil }
        self.subset = subset
        self.state = state
        self.index = index
        let declaredByKey = Dictionary(declared.map { ($0.key, $0) }) { first, _ in first }
        self.declaredByKey = declaredByKey
        coveredKeys = Set(
            state.rooms.lazy.filter { key, entry in
                subset.contains(key: key, declared: declaredByKey[key], live: index.byID[entry.meetingroomID], applied: entry.applied)
            }.map(\.key))
    }

    /// Whether a manifest's room is planned.
    func covers(_ room: DesiredRoom) -> Bool {
        let entry = state.rooms[room.key]
        return subset.contains(
            key: room.key, declared: room, live: entry.flatMap { index.byID[$0.meetingroomID] }, applied: entry?.applied)
    }

    /// Whether a state key is planned (its change, delete or move).
    func coversManaged(_ key: String) -> Bool { coveredKeys.contains(key) }

    /// Whether a manifest's `import:` entry is planned: it follows its key.
    func coversImport(_ entry: ManifestOperations.Import) -> Bool {
        subset.contains(key: entry.key, declared: declaredByKey[entry.key], live: index.byID[entry.meetingroomID], applied: nil)
    }

    /// Managed rooms in the subset.
    var managedRooms: Int { coveredKeys.count }

    /// Live rooms the subset could delete: those its keys manage, and the unmanaged ones a location filter covers.
    func liveRooms(managedIDs: Set<Int>) -> Int {
        let coveredIDs = Set(coveredKeys.compactMap { state.rooms[$0]?.meetingroomID })
        return index.rooms.lazy.filter { room in
            coveredIDs.contains(room.meetingroomID)
                || (!managedIDs.contains(room.meetingroomID) && subset.containsUnmanaged(room))
        }.count
    }
}
