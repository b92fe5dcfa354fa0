/// Everything read from a set of manifests: the desired rooms, the files they came from, and every diagnostic.
public struct ManifestReadResult: Sendable {
    /// Sorted by key.
    public var rooms: [DesiredRoom]
    /// The files read, in the order they were read.
    public var files: [String]
    /// Errors and warnings of every file, in file order then position order.
    public var diagnostics: [Diagnostic]

    public init(rooms: [DesiredRoom], files: [String], diagnostics: [Diagnostic]) {
        self.rooms = rooms
        self.files = files
        self.diagnostics = diagnostics
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
        var files: [String] = []
        var diagnostics: [Diagnostic] = []
        var rooms: [DesiredRoom] = []
        var firstDefinition: [String: SourceLocation] = [:]
        var readSoFar = Set<String>()

        for path in paths {
            let expanded: [String]
            switch ManifestSource.files(for: path) {
            case .success(let list): expanded = list
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
                continue
            }
            // The same file named twice (`rooms.yaml rooms/`) is read once rather than clashing with itself.
            for file in expanded where readSoFar.insert(file).inserted {
                files.append(file)
                var fileDiagnostics: [Diagnostic] = []
                let entries: [ManifestDecoder.Entry]
                switch ManifestSource.contents(of: file) {
                case .success(let bytes): entries = decode(bytes, file: file, limits: limits, diagnostics: &fileDiagnostics)
                case .failure(let diagnostic):
                    fileDiagnostics.append(diagnostic)
                    entries = []
                }
                collect(entries, into: &rooms, firstDefinition: &firstDefinition, diagnostics: &fileDiagnostics)
                diagnostics += sortedByPosition(fileDiagnostics)
            }
        }
        rooms.sort { $0.key < $1.key }
        return ManifestReadResult(rooms: rooms, files: files, diagnostics: diagnostics)
    }

    /// Reads one manifest held in memory, named `name` in its diagnostics, exactly as `read(paths:)` reads a
    /// file with those bytes: the file path goes through the same decoding. For callers that have no file
    /// (stdin, fuzzing, tests of the format itself).
    public static func read(bytes: [UInt8], name: String, limits: YAMLLimits = .default) -> ManifestReadResult {
        var rooms: [DesiredRoom] = []
        var firstDefinition: [String: SourceLocation] = [:]
        var diagnostics: [Diagnostic] = []
        let entries = decode(bytes, file: name, limits: limits, diagnostics: &diagnostics)
        collect(entries, into: &rooms, firstDefinition: &firstDefinition, diagnostics: &diagnostics)
        rooms.sort { $0.key < $1.key }
        return ManifestReadResult(rooms: rooms, files: [name], diagnostics: sortedByPosition(diagnostics))
    }

    /// Keeps the rooms of one file's entries, reporting keys already defined (in this file or an earlier one).
    private static func collect(
        _ entries: [ManifestDecoder.Entry], into rooms: inout [DesiredRoom],
        firstDefinition: inout [String: SourceLocation], diagnostics: inout [Diagnostic]
    ) {
        for entry in entries {
            if let first = firstDefinition[entry.key] {
                diagnostics.append(.error(
                    at: entry.origin, "duplicate room key '\(DiagnosticText.shown(entry.key))'; first defined at \(first)"))
                continue
            }
            firstDefinition[entry.key] = entry.origin
            if let room = entry.room { rooms.append(room) }
        }
    }

    /// One file's bytes: YAML tree, rooms.
    static func decode(_ bytes: [UInt8], file: String, limits: YAMLLimits, diagnostics: inout [Diagnostic]) -> [ManifestDecoder.Entry] {
        guard !bytes.isEmpty else {
            diagnostics.append(.error(at: ManifestSource.start(of: file), "file is empty; a manifest starts with 'version: 1'"))
            return []
        }
        let document = YAMLParser.parse(bytes, limits: limits)
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
        var entries = decoder.decode(root)
        diagnostics += decoder.diagnostics
        // A file with YAML errors (say a duplicated field) yields no rooms: which value was meant is unknown.
        // Its keys still count, so a clash with another file is still reported.
        if !document.errors.isEmpty {
            for index in entries.indices { entries[index].room = nil }
        }
        return entries
    }

    private static func sortedByPosition(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let l = a.element.location, r = b.element.location
            let left = (l?.line ?? 0, l?.column ?? 0, a.offset), right = (r?.line ?? 0, r?.column ?? 0, b.offset)
            return left < right
        }.map(\.element)
    }
}
