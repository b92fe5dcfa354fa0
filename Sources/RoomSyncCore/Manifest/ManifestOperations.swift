#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A field roomsync manages on a room, as `ignore_changes` names it (SPEC 2): `location` is city, building and
/// floor together, since WeCom takes them together.
public enum ManagedField: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case name, capacity, location, equipment, coordinate, range

    public static func < (a: ManagedField, b: ManagedField) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    static let names = allCases.map(\.rawValue)
}

/// The operations a manifest declares beside its rooms (SPEC 2), reviewed in a pull request and applied by CI
/// so nobody edits the state by hand: renamed keys, adopted rooms, and live rooms `--prune` must never delete.
/// Entries of every file are combined; the same entry in two files counts once.
public struct ManifestOperations: Sendable, Hashable {
    /// A manifest key renamed: the state follows, the room is untouched.
    public struct Move: Sendable, Hashable {
        public var from: String
        public var to: String
        public var origin: SourceLocation

        public init(from: String, to: String, origin: SourceLocation) {
            self.from = from
            self.to = to
            self.origin = origin
        }
    }

    /// An existing live room adopted under a key of the manifests.
    public struct Import: Sendable, Hashable {
        public var key: String
        public var meetingroomID: Int
        public var origin: SourceLocation

        public init(key: String, meetingroomID: Int, origin: SourceLocation) {
            self.key = key
            self.meetingroomID = meetingroomID
            self.origin = origin
        }
    }

    /// A glob over live room names (`*`, `?`, `[…]`): matching rooms are never deleted by `--prune`.
    public struct PruneExclusion: Sendable, Hashable {
        public var pattern: String
        public var origin: SourceLocation

        public init(pattern: String, origin: SourceLocation) {
            self.pattern = pattern
            self.origin = origin
        }

        public func matches(_ name: String) -> Bool {
            fnmatch(pattern, name, 0) == 0
        }
    }

    /// In the order written (files in reading order): a chain `a → b`, `b → c` applies in that order.
    public var moves: [Move]
    public var imports: [Import]
    public var pruneExclusions: [PruneExclusion]

    public init(moves: [Move] = [], imports: [Import] = [], pruneExclusions: [PruneExclusion] = []) {
        self.moves = moves
        self.imports = imports
        self.pruneExclusions = pruneExclusions
    }

    public var isEmpty: Bool { moves.isEmpty && imports.isEmpty && pruneExclusions.isEmpty }

    /// The first exclusion that keeps a live room of this name.
    public func exclusion(keeping name: String) -> PruneExclusion? {
        pruneExclusions.first { $0.matches(name) }
    }
}

extension ManifestOperations {
    /// Joins the operations of several files (in reading order) and checks what only all of them together can
    /// show: an entry repeated with another meaning, a `from` still declared as a room, a cycle of moves, a move
    /// or an import to a key no manifest declares. Errors go to the file of the entry they are about.
    static func combine(
        _ perFile: [ManifestOperations], rooms: [String: SourceLocation], diagnostics: inout [Diagnostic]
    ) -> ManifestOperations {
        var combined = ManifestOperations()
        var moveByFrom: [String: Move] = [:]
        var moveByTo: [String: Move] = [:]
        var importByKey: [String: Import] = [:]
        var importByID: [Int: Import] = [:]
        var patterns: Set<String> = []
        for operations in perFile {
            for move in operations.moves {
                if let first = moveByFrom[move.from] {
                    if first.to != move.to {
                        diagnostics.append(.error(
                            at: move.origin,
                            "moved: '\(move.from)' is moved to '\(move.to)' here but to '\(first.to)' at \(first.origin)"))
                    }
                    continue
                }
                if let first = moveByTo[move.to] {
                    diagnostics.append(.error(
                        at: move.origin,
                        "moved: '\(move.to)' is the target of '\(move.from)' here and of '\(first.from)' at \(first.origin)"))
                    continue
                }
                if let declared = rooms[move.from] {
                    diagnostics.append(.error(
                        at: move.origin,
                        "moved: '\(move.from)' is still declared as a room at \(declared); a moved key must leave the manifests"))
                    continue
                }
                moveByFrom[move.from] = move
                moveByTo[move.to] = move
                combined.moves.append(move)
            }
            for entry in operations.imports {
                if let first = importByKey[entry.key] {
                    if first.meetingroomID != entry.meetingroomID {
                        diagnostics.append(.error(
                            at: entry.origin,
                            "import: '\(entry.key)' imports meetingroom_id \(entry.meetingroomID) here but \(first.meetingroomID) at \(first.origin)"))
                    }
                    continue
                }
                if let first = importByID[entry.meetingroomID] {
                    diagnostics.append(.error(
                        at: entry.origin,
                        "import: meetingroom_id \(entry.meetingroomID) is imported as '\(entry.key)' here but as '\(first.key)' at \(first.origin)"))
                    continue
                }
                guard rooms[entry.key] != nil else {
                    diagnostics.append(.error(
                        at: entry.origin, "import: '\(entry.key)' is not a room of the manifests; declare it under 'rooms' first"))
                    continue
                }
                importByKey[entry.key] = entry
                importByID[entry.meetingroomID] = entry
                combined.imports.append(entry)
            }
            for exclusion in operations.pruneExclusions where patterns.insert(exclusion.pattern).inserted {
                combined.pruneExclusions.append(exclusion)
            }
        }
        // A cycle never ends: following `from → to` from any entry comes back to it.
        var reported: Set<String> = []
        for move in combined.moves where !reported.contains(move.from) {
            var path = [move.from]
            var next = move.to
            while let step = moveByFrom[next], !path.contains(next) {
                path.append(next)
                next = step.to
            }
            if next == move.from {
                reported.formUnion(path)
                diagnostics.append(.error(
                    at: move.origin, "moved: the entries form a cycle (\((path + [move.from]).joined(separator: " → ")))"))
            }
        }
        if !reported.isEmpty { combined.moves.removeAll { reported.contains($0.from) } }
        // Where a chain of moves ends must be a room of the manifests: a typo in `to` would move the key and then
        // delete it as a key no manifest declares. The whole chain leading there is dropped with it.
        var undeclared: Set<String> = []
        for move in combined.moves where moveByFrom[move.to] == nil && rooms[move.to] == nil {
            undeclared.insert(move.to)
            diagnostics.append(.error(
                at: move.origin, "moved: '\(move.to)' is not a room of the manifests; a key is moved to a room declared under 'rooms'"))
        }
        if !undeclared.isEmpty {
            combined.moves.removeAll { move in
                var next = move.to
                var seen: Set<String> = [move.from]
                while let step = moveByFrom[next], seen.insert(next).inserted { next = step.to }
                return undeclared.contains(next)
            }
        }
        return combined
    }
}
