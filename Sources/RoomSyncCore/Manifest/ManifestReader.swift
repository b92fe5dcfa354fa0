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
    public static func read(paths: [String]) -> ManifestReadResult {
        // Placeholder until the manifest reader lands (issue 2).
        ManifestReadResult(rooms: [], files: paths, diagnostics: [.error(at: nil, "manifest reader not built yet")])
    }
}
