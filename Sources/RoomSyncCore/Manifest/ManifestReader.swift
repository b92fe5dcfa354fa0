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
            return ManifestReadResult(rooms: [], files: [], diagnostics: [.error(at: nil, LocalizedText(.diagNoManifest))])
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
        var decoded = Parallel.map(files) { file in decodeFile(file, limits: limits) }
        let fileOperations = decoded.map(\.operations)
        var decodedFiles = decoded.map(\.file)
        // Now the files' rooms are held once, and `assemble` sorts them where they are instead of copying them.
        decoded = []

        let (rooms, fileDiagnostics, operations) = assemble(&decodedFiles, operations: fileOperations)
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

    /// One file read and decoded. A big file's pages are dropped as its pieces are read
    /// (`YAMLParser.releaseBehind`); if it has to be read in one pass after all, it is read again from the file.
    /// `releasableFrom` and `configure` are for tests.
    static func decodeFile(
        _ file: String, limits: YAMLLimits, releasableFrom: Int = ManifestSource.releasableFrom,
        configure: (YAMLParser) -> Void = { _ in }
    ) -> (file: DecodedFile, operations: ManifestOperations) {
        var diagnostics: [Diagnostic] = []
        var operations = ManifestOperations()
        var decoded: (entries: [ManifestDecoder.Entry], rooms: [DesiredRoom])?
        var contents = ManifestSource.contents(of: file, releasableFrom: releasableFrom)
        if case .success(.releasable(let releasable)) = contents {
            decoded = decode(releasable, file: file, limits: limits, diagnostics: &diagnostics, operations: &operations) {
                parser in
                parser.releaseBehind = releasable.release(before:)
                configure(parser)
            }
            // nil: part of it was dropped before a piece sent it to one pass. Read again, it is a whole copy of
            // the file as it is now (nothing of the first reading is kept).
            if decoded == nil { contents = ManifestSource.contents(of: file, releasableFrom: .max) }
        }
        if case .failure(let diagnostic) = contents { return (([], [], [diagnostic]), operations) }
        if case .success(.read(var bytes)) = contents {
            // `bytes` alone holds the file now, and `decode` empties it once parsed.
            contents = .success(.read([]))
            decoded = decode(
                &bytes, file: file, limits: limits, diagnostics: &diagnostics, operations: &operations, configure: configure)
        }
        let (entries, rooms) = decoded ?? ([], [])
        return ((entries, rooms, diagnostics), operations)
    }

    /// Reads one manifest held in memory, named `name` in its diagnostics, exactly as `read(paths:)` reads a
    /// file with those bytes: the file path goes through the same decoding. For callers that have no file
    /// (stdin, fuzzing, tests of the format itself).
    public static func read(bytes: [UInt8], name: String, limits: YAMLLimits = .default) -> ManifestReadResult {
        var diagnostics: [Diagnostic] = []
        var operations = ManifestOperations()
        var bytes = bytes
        let (entries, rooms) = decode(&bytes, file: name, limits: limits, diagnostics: &diagnostics, operations: &operations)
        // `consume`: the rooms are held once, so `assemble` sorts them where they are.
        var files: [DecodedFile] = [(entries, consume rooms, diagnostics)]
        let (sorted, fileDiagnostics, combined) = assemble(&files, operations: [operations])
        return ManifestReadResult(rooms: sorted, files: [name], diagnostics: fileDiagnostics[0], operations: combined)
    }

    /// One file decoded: its entries in file order, the rooms they point at, and its own diagnostics.
    typealias DecodedFile = (entries: [ManifestDecoder.Entry], rooms: [DesiredRoom], diagnostics: [Diagnostic])

    /// Joins decoded files (in the order given): reports every key defined again, in the same file or a later
    /// one, against its first definition; keeps the rooms of first definitions, sorted by key; and gives each
    /// file's diagnostics sorted by position.
    ///
    /// Sorting the entries' positions by key (ties in file order) puts every key's definitions side by side,
    /// so the clashes and the order of the kept rooms come out of one pass: a dictionary of keys seen plus a
    /// sort of the rooms themselves cost more than the rest of reading them. The rooms are then put in that
    /// order where they are (the files' rooms are taken from `files`), not copied into a second array: at
    /// 100,000 rooms that copy was 22 MB at the peak of a plan.
    ///
    /// The files' operations are combined after the rooms, since some of their rules are about the rooms (a
    /// moved key still declared, an import of an undeclared key).
    private static func assemble(
        _ files: inout [DecodedFile], operations: [ManifestOperations]
    ) -> (rooms: [DesiredRoom], diagnostics: [[Diagnostic]], operations: ManifestOperations) {
        struct Position {
            var file: Int
            var index: Int
        }
        var positions: [Position] = []
        var keys: [String] = []
        for (file, decoded) in files.enumerated() {
            for (index, entry) in decoded.entries.enumerated() {
                positions.append(Position(file: file, index: index))
                keys.append(entry.key)
            }
        }
        let order = sortedOrder(of: keys)

        // Every file's rooms in one array: a single file's where they already are, several files' copied into one.
        var rooms: [DesiredRoom] = []
        var roomsBefore: [Int] = []
        if files.count == 1 {
            swap(&rooms, &files[0].rooms)
            roomsBefore = [0]
        } else {
            rooms.reserveCapacity(files.reduce(0) { $0 + $1.rooms.count })
            for file in files.indices {
                roomsBefore.append(rooms.count)
                rooms += files[file].rooms
                files[file].rooms = []
            }
        }

        func origin(_ position: Position) -> SourceLocation {
            files[position.file].entries[position.index].origin
        }
        var diagnostics = files.map(\.diagnostics)
        var kept: [Int] = []
        kept.reserveCapacity(rooms.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && keys[order[end]] == keys[order[start]] { end += 1 }
            let first = positions[order[start]]
            for again in order[(start + 1)..<end] {
                let position = positions[again]
                diagnostics[position.file].append(.error(
                    at: origin(position),
                    LocalizedText(.diagDuplicateRoomKey, ["key": DiagnosticText.shown(keys[again]), "origin": "\(origin(first))"])))
            }
            let room = files[first.file].entries[first.index].room
            if room >= 0 { kept.append(roomsBefore[first.file] + Int(room)) }
            start = end
        }
        arrange(&rooms, keeping: kept)
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

    /// One file's bytes: YAML tree, entries and rooms.
    /// `bytes` are emptied once parsed: the tree holds every scalar's text, and the file (17 MB at 100,000 rooms)
    /// need not stay beside it while the rooms are decoded. A big file's rooms are decoded a batch at a time as
    /// they are read (`YAMLParser.parse(handingOutRooms:)`), so its whole tree is never held either.
    /// `configure` sets the parser's knobs (tests make small files go the way of big ones).
    static func decode(
        _ bytes: inout [UInt8], file: String, limits: YAMLLimits, diagnostics: inout [Diagnostic],
        operations: inout ManifestOperations, configure: (YAMLParser) -> Void = { _ in }
    ) -> (entries: [ManifestDecoder.Entry], rooms: [DesiredRoom]) {
        guard !bytes.isEmpty else {
            diagnostics.append(.error(at: ManifestSource.start(of: file), LocalizedText(.diagEmptyFile)))
            return ([], [])
        }
        let decoded = decode(file: file, byteCount: bytes.count, limits: limits, diagnostics: &diagnostics, operations: &operations) {
            body in
            let parsed = YAMLParser.withParser(over: bytes, limits: limits) { parser in
                configure(parser)
                // Nothing of an array is dropped: a file read in one pass after all is read from it.
                parser.releaseBehind = nil
                return body(parser)
            }
            bytes = []
            return parsed
        }
        return decoded ?? ([], [])
    }

    /// `decode` over a big file's bytes, which `configure` may have dropped behind the pieces read; nil when the
    /// file has then to be read in one pass, which has to be from a new copy (diagnostics and operations untouched).
    static func decode(
        _ bytes: ReleasableBytes, file: String, limits: YAMLLimits, diagnostics: inout [Diagnostic],
        operations: inout ManifestOperations, configure: (YAMLParser) -> Void
    ) -> (entries: [ManifestDecoder.Entry], rooms: [DesiredRoom])? {
        decode(file: file, byteCount: bytes.bytes.count, limits: limits, diagnostics: &diagnostics, operations: &operations) { body in
            YAMLParser.withParser(over: bytes.bytes, limits: limits) { parser in
                configure(parser)
                return body(parser)
            }
        }
    }

    /// `withParser` runs the parse it is given on a parser over the file's bytes, which are not empty; nil when the
    /// parse says the input was released and must be read again.
    private static func decode(
        file: String, byteCount: Int, limits: YAMLLimits, diagnostics: inout [Diagnostic], operations: inout ManifestOperations,
        withParser: ((YAMLParser) -> YAMLParser.BatchedParse) -> YAMLParser.BatchedParse
    ) -> (entries: [ManifestDecoder.Entry], rooms: [DesiredRoom])? {
        var batches = RoomBatches(file: file, bytes: byteCount)
        let document: YAMLDocument
        switch withParser({ parser in parser.parse(handingOutRooms: { batches.decode($0) }) }) {
        case .handedOut:
            // Every room was decoded as it was read, and the file has no YAML error.
            diagnostics += batches.decoder.diagnostics
            if let header = batches.header { operations = header.operations }
            return (batches.entries, batches.rooms)
        case .inputReleased:
            return nil
        case .document(let parsed):
            document = parsed
        }
        // Read in one pass after all: what the batches decoded before that is dropped, not kept beside the tree.
        batches = RoomBatches(file: file, bytes: 0)
        for error in document.errors {
            let at = SourceLocation(file: file, line: error.mark.line, column: error.mark.column)
            if let related = error.relatedMark {
                diagnostics.append(.error(at: at, LocalizedText(.diagYAMLFirstDefined, ["origin": "\(file):\(related)"], keyed: ["message": error.text])))
            } else {
                diagnostics.append(.error(at: at, error.text))
            }
        }
        guard let root = document.root else {
            if document.errors.isEmpty {
                diagnostics.append(.error(
                    at: ManifestSource.start(of: file), LocalizedText(.diagNoYAMLContent)))
            }
            return ([], [])
        }
        var decoder = ManifestDecoder(file: file)
        let header = decoder.decodeHeader(root)
        diagnostics += decoder.diagnostics
        guard let header else { return ([], []) }
        // A file with YAML errors declares nothing: which entries were meant is unknown.
        if document.errors.isEmpty { operations = header.operations }
        // Rooms are independent of each other, so a big file's are decoded in slices on every core: the same
        // entries and diagnostics as one decoder would give, joined in order. Each slice puts its rooms straight
        // into the file's array, from the slot of its first position; the gaps that rooms with errors leave are
        // closed after. Joining arrays of rooms instead copied every room once more (4 ms at 10,000 rooms).
        let slices = header.rooms.indices.slices(of: roomsPerSlice)
        var entries: [ManifestDecoder.Entry] = []
        var rooms = [DesiredRoom](unsafeUninitializedCapacity: header.rooms.count) { buffer, initialized in
            let slots = Slots(base: buffer.baseAddress)
            let decoded = Parallel.map(slices) {
                positions -> (entries: [ManifestDecoder.Entry], kept: Int, diagnostics: [Diagnostic]) in
                var decoder = ManifestDecoder(file: file)
                var kept = 0
                let entries = decoder.decodeRooms(header.rooms, positions, defaults: header.defaults) { room in
                    let slot = positions.lowerBound + kept
                    (slots.base! + slot).initialize(to: consume room)
                    kept += 1
                    return Int32(slot)
                }
                return (entries, kept, decoder.diagnostics)
            }
            entries.reserveCapacity(header.rooms.count)
            for (slice, positions) in zip(decoded, slices) {
                diagnostics += slice.diagnostics
                let shift = Int32(positions.lowerBound - initialized)
                if shift > 0 {
                    (slots.base! + initialized).moveInitialize(from: slots.base! + positions.lowerBound, count: slice.kept)
                }
                for var entry in slice.entries {
                    if entry.room >= 0 { entry.room -= shift }
                    entries.append(entry)
                }
                initialized += slice.kept
            }
        }
        // A file with YAML errors (say a duplicated field) yields no rooms: which value was meant is unknown.
        // Its keys still count, so a clash with another file is still reported.
        if !document.errors.isEmpty {
            for index in entries.indices { entries[index].room = -1 }
            rooms = []
        }
        return (entries, rooms)
    }

    /// Where the slices of a file decoded on several cores put their rooms: each writes only its own slots.
    private struct Slots: @unchecked Sendable {
        let base: UnsafeMutablePointer<DesiredRoom>?
    }

    /// The rooms of a big file, decoded batch by batch as the parser hands them out: the header (`version`,
    /// `defaults`, the operations) from the first batch's root, which holds all of it, then each batch's rooms
    /// under its defaults. The same entries and diagnostics as decoding the whole tree at once.
    struct RoomBatches {
        var header: (defaults: RoomFields, operations: ManifestOperations)?
        var entries: [ManifestDecoder.Entry] = []
        var rooms: [DesiredRoom] = []
        /// One decoder for every batch, so that the lists it shares are shared across the whole file.
        var decoder: ManifestDecoder
        private var headerRead = false

        /// `bytes`, the file's size, bounds how many rooms it holds: the arrays are sized once, the first time a
        /// batch comes. Grown by doubling, they held the old storage beside the new one, 14 MB at 100,000 rooms
        /// near a plan's peak; capacity never written is never touched, so an overestimate costs address space only.
        init(file: String, bytes: Int) {
            decoder = ManifestDecoder(file: file)
            decoder.sharesLists = true
            expectedRooms = bytes / Self.bytesPerRoom
        }

        private let expectedRooms: Int
        /// Fewer bytes than a room takes in a manifest (`  k: {name: x, capacity: 1}` is 30).
        static let bytesPerRoom = 64

        mutating func decode(_ root: YAMLNode) {
            if !headerRead {
                headerRead = true
                entries.reserveCapacity(expectedRooms)
                rooms.reserveCapacity(expectedRooms)
                // The parser hands out batches only under a root mapping with `rooms` a mapping: a header always.
                header = decoder.decodeHeader(root).map { ($0.defaults, $0.operations) }
            }
            guard let header, let batch = root.mapping?.last?.value.mapping else { return }
            entries += decoder.decodeRooms(batch, batch.indices, defaults: header.defaults, into: &rooms)
        }
    }

    /// Leaves `rooms[kept[0]], rooms[kept[1]], …` in that order and drops the others, moving the rooms within
    /// the array: the cycles of the permutation are followed with swaps, so no room is copied.
    static func arrange(_ rooms: inout [DesiredRoom], keeping kept: [Int]) {
        // A permutation of every position: the kept ones first, then the others in any order.
        var order = kept
        if kept.count < rooms.count {
            var isKept = [Bool](repeating: false, count: rooms.count)
            for index in kept { isKept[index] = true }
            order += rooms.indices.filter { !isKept[$0] }
        }
        // Position `at` takes the element at `order[at]`: along each cycle, the element that started it is carried
        // by swaps to the last position of the cycle, which is where it belongs.
        var placed = [Bool](repeating: false, count: rooms.count)
        rooms.withUnsafeMutableBufferPointer { rooms in
            for start in rooms.indices where !placed[start] {
                placed[start] = true
                var at = start
                while order[at] != start {
                    let next = order[at]
                    rooms.swapAt(at, next)
                    placed[next] = true
                    at = next
                }
            }
        }
        rooms.removeLast(rooms.count - kept.count)
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
