#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything read from a set of manifests: the desired rooms, the files they came from, and every diagnostic.
public struct ManifestReadResult: Sendable {
    /// Sorted by key.
    public var rooms: [DesiredRoom]
    /// The files read, in the order they were read.
    public var files: [String]
    /// Errors and warnings of every file, in file order then position order.
    public var diagnostics: [Diagnostic]
    /// `moved`, `import` and `prune.exclude` of every file, combined.
    public var operations: ManifestOperations

    public init(rooms: [DesiredRoom], files: [String], diagnostics: [Diagnostic], operations: ManifestOperations = .init()) {
        self.rooms = rooms
        self.files = files
        self.diagnostics = diagnostics
        self.operations = operations
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

public enum ManifestReader {
    /// Reads every manifest named by `paths`: files, or directories whose `*.yaml`/`*.yml` files are read in
    /// sorted order. Never throws: every problem is a diagnostic.
    ///
    /// Format (SPEC section 2): `version: 1`, optional `defaults` (any room field but `name`, merged under every
    /// room of the same file, field by field), and `rooms`, a mapping of key to room.
    public static func read(paths: [String]) -> ManifestReadResult {
        read(paths: paths, limits: .default)
    }

    /// `read(paths:)` with explicit YAML limits (for tests of the limits themselves).
    public static func read(paths: [String], limits: YAMLLimits) -> ManifestReadResult {
        guard !paths.isEmpty else {
            return ManifestReadResult(rooms: [], files: [], diagnostics: [.error(at: nil, "no manifest given")])
        }
        // First the paths become files (or a diagnostic each), in the order given.
        enum Source {
            case file(String)
            case unusable(Diagnostic)
        }
        var sources: [Source] = []
        var readSoFar = Set<String>()
        for path in paths {
            switch ManifestSource.files(for: path) {
            case .success(let list):
                // The same file named twice (`rooms.yaml rooms/`) is read once rather than clashing with itself.
                sources += list.filter { readSoFar.insert($0).inserted }.map(Source.file)
            case .failure(let diagnostic):
                sources.append(.unusable(diagnostic))
            }
        }
        let files = sources.compactMap { source -> String? in
            if case .file(let file) = source { return file }
            return nil
        }

        // Then every file is read and decoded on its own, several at once; only keys clashing across files need
        // them together, and `assemble` checks those in file order.
        let decoded = Parallel.map(files) { file -> (file: DecodedFile, operations: ManifestOperations) in
            var diagnostics: [Diagnostic] = []
            var operations = ManifestOperations()
            var bytes: [UInt8]
            switch ManifestSource.contents(of: file) {
            case .success(let read): bytes = read
            case .failure(let diagnostic): return (([], [diagnostic]), operations)
            }
            let entries = decode(&bytes, file: file, limits: limits, diagnostics: &diagnostics, operations: &operations)
            return ((entries, diagnostics), operations)
        }

        let (rooms, fileDiagnostics, operations) = assemble(decoded.map(\.file), operations: decoded.map(\.operations))
        var diagnostics: [Diagnostic] = []
        var next = fileDiagnostics.makeIterator()
        for source in sources {
            switch source {
            case .unusable(let diagnostic): diagnostics.append(diagnostic)
            case .file: diagnostics += next.next()!
            }
        }
        return ManifestReadResult(rooms: rooms, files: files, diagnostics: diagnostics, operations: operations)
    }

    /// Reads one manifest held in memory, named `name` in its diagnostics, exactly as `read(paths:)` reads a
    /// file with those bytes: the file path goes through the same decoding. For callers that have no file
    /// (stdin, fuzzing, tests of the format itself).
    public static func read(bytes: [UInt8], name: String, limits: YAMLLimits = .default) -> ManifestReadResult {
        var diagnostics: [Diagnostic] = []
        var operations = ManifestOperations()
        var bytes = bytes
        let entries = decode(&bytes, file: name, limits: limits, diagnostics: &diagnostics, operations: &operations)
        let (rooms, fileDiagnostics, combined) = assemble([(entries, diagnostics)], operations: [operations])
        return ManifestReadResult(rooms: rooms, files: [name], diagnostics: fileDiagnostics[0], operations: combined)
    }

    /// One file decoded: its entries, in slices in file order, and its own diagnostics.
    typealias DecodedFile = (entries: [[ManifestDecoder.Entry]], diagnostics: [Diagnostic])

    /// Joins decoded files (in the order given): reports every key defined again, in the same file or a later
    /// one, against its first definition; keeps the rooms of first definitions, sorted by key; and gives each
    /// file's diagnostics sorted by position.
    ///
    /// Sorting the entries' positions by key (ties in file order) puts every key's definitions side by side,
    /// so the clashes and the sorted rooms come out of one pass, and each room is copied once: a dictionary
    /// of keys seen plus a sort of the rooms themselves cost more than the rest of reading them.
    ///
    /// The files' operations are combined after the rooms, since some of their rules are about the rooms (a
    /// moved key still declared, an import of an undeclared key).
    private static func assemble(
        _ files: [DecodedFile], operations: [ManifestOperations]
    ) -> (rooms: [DesiredRoom], diagnostics: [[Diagnostic]], operations: ManifestOperations) {
        struct Position {
            var file: Int
            var slice: Int
            var index: Int
        }
        var positions: [Position] = []
        var keys: [String] = []
        for (file, decoded) in files.enumerated() {
            for (slice, entries) in decoded.entries.enumerated() {
                for (index, entry) in entries.enumerated() {
                    positions.append(Position(file: file, slice: slice, index: index))
                    keys.append(entry.key)
                }
            }
        }
        let order = sortedOrder(of: keys)

        func origin(_ position: Position) -> SourceLocation {
            files[position.file].entries[position.slice][position.index].origin
        }
        var diagnostics = files.map(\.diagnostics)
        var rooms: [DesiredRoom] = []
        rooms.reserveCapacity(order.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && keys[order[end]] == keys[order[start]] { end += 1 }
            let first = positions[order[start]]
            for again in order[(start + 1)..<end] {
                let position = positions[again]
                diagnostics[position.file].append(.error(
                    at: origin(position),
                    "duplicate room key '\(DiagnosticText.shown(keys[again]))'; first defined at \(origin(first))"))
            }
            if let room = files[first.file].entries[first.slice][first.index].room { rooms.append(room) }
            start = end
        }
        var combined = ManifestOperations()
        if operations.contains(where: { !$0.isEmpty }) {
            var declared: [String: SourceLocation] = [:]
            for (index, key) in keys.enumerated() where declared[key] == nil { declared[key] = origin(positions[index]) }
            var found: [Diagnostic] = []
            combined = ManifestOperations.combine(operations, rooms: declared, diagnostics: &found)
            // Each error goes to the file of the entry it is about.
            for diagnostic in found {
                let file = files.indices.first { index in
                    operations[index].moves.contains { $0.origin == diagnostic.location }
                        || operations[index].imports.contains { $0.origin == diagnostic.location }
                } ?? 0
                diagnostics[file].append(diagnostic)
            }
        }
        return (rooms, diagnostics.map(sortedByPosition), combined)
    }

    /// One file's bytes: YAML tree, rooms. The entries come in slices (in order), as they were decoded: joining
    /// them into one array would copy every room once more.
    /// `bytes` are emptied once parsed: the tree holds every scalar's text, and the file (17 MB at 100,000 rooms)
    /// need not stay beside it while the rooms are decoded.
    static func decode(
        _ bytes: inout [UInt8], file: String, limits: YAMLLimits, diagnostics: inout [Diagnostic],
        operations: inout ManifestOperations
    ) -> [[ManifestDecoder.Entry]] {
        guard !bytes.isEmpty else {
            diagnostics.append(.error(at: ManifestSource.start(of: file), "file is empty; a manifest starts with 'version: 1'"))
            return []
        }
        let document = YAMLParser.parse(bytes, limits: limits)
        bytes = []
        for error in document.errors {
            var message = error.message
            if let related = error.relatedMark { message += "; first defined at \(file):\(related)" }
            diagnostics.append(.error(at: SourceLocation(file: file, line: error.mark.line, column: error.mark.column), message))
        }
        guard let root = document.root else {
            if document.errors.isEmpty {
                diagnostics.append(.error(
                    at: ManifestSource.start(of: file), "file has no YAML content; a manifest starts with 'version: 1'"))
            }
            return []
        }
        var decoder = ManifestDecoder(file: file)
        let header = decoder.decodeHeader(root)
        diagnostics += decoder.diagnostics
        guard let header else { return [] }
        // A file with YAML errors declares nothing: which entries were meant is unknown.
        if document.errors.isEmpty { operations = header.operations }
        // Rooms are independent of each other, so a big file's are decoded in slices on every core and the
        // slices joined in order: the same entries and diagnostics as one decoder would give.
        let slices = header.rooms.indices.slices(of: roomsPerSlice)
        let decoded = Parallel.map(slices) { positions -> (entries: [ManifestDecoder.Entry], diagnostics: [Diagnostic]) in
            var decoder = ManifestDecoder(file: file)
            let entries = decoder.decodeRooms(header.rooms, positions, defaults: header.defaults)
            return (entries, decoder.diagnostics)
        }
        for slice in decoded { diagnostics += slice.diagnostics }
        var entries = decoded.map(\.entries)
        // A file with YAML errors (say a duplicated field) yields no rooms: which value was meant is unknown.
        // Its keys still count, so a clash with another file is still reported.
        if !document.errors.isEmpty {
            for slice in entries.indices {
                for index in entries[slice].indices { entries[slice][index].room = nil }
            }
        }
        return entries
    }

    /// The positions of `keys` sorted by key, ties in position order: `(keys[$0], $0) < (keys[$1], $1)`.
    ///
    /// Room keys are ASCII (a valid one matches `ManifestDecoder.keyPattern`), and for ASCII text String's order is
    /// the bytes' order: the keys' bytes are laid end to end once and compared with `memcmp`, which costs a
    /// fraction of comparing Strings twice (`!=`, then `<`) for each of the sort's comparisons. Any other key
    /// (an invalid one, reported anyway) sorts as Strings do.
    static func sortedOrder(of keys: [String]) -> [Int] {
        var order = Array(keys.indices)
        var bytes: [UInt8] = []
        var starts: [Int] = []
        starts.reserveCapacity(keys.count + 1)
        for key in keys {
            starts.append(bytes.count)
            bytes.append(contentsOf: key.utf8)
        }
        starts.append(bytes.count)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            order.sort { (keys[$0], $0) < (keys[$1], $1) }
            return order
        }
        bytes.withUnsafeBufferPointer { text in
            starts.withUnsafeBufferPointer { starts in
                let base = text.baseAddress ?? UnsafePointer(bitPattern: 1)!
                order.sort { a, b in
                    let lengthA = starts[a + 1] - starts[a], lengthB = starts[b + 1] - starts[b]
                    let common = min(lengthA, lengthB)
                    let compared = common == 0 ? 0 : memcmp(base + starts[a], base + starts[b], common)
                    if compared != 0 { return compared < 0 }
                    if lengthA != lengthB { return lengthA < lengthB }
                    return a < b
                }
            }
        }
        return order
    }

    /// Rooms decoded by one task: enough that starting a task is negligible, few enough to keep both cores
    /// busy on a file of a few thousand rooms.
    static let roomsPerSlice = 1000

    private static func sortedByPosition(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let l = a.element.location, r = b.element.location
            let left = (l?.line ?? 0, l?.column ?? 0, a.offset), right = (r?.line ?? 0, r?.column ?? 0, b.offset)
            return left < right
        }.map(\.element)
    }
}
