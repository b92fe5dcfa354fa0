/// One message about the user's input, rendered compiler-style so editors and CI annotators can jump to it:
/// `FILE:LINE:COLUMN: error: MESSAGE`. It is also the one way every error roomsync shows a person is rendered
/// (`RenderableError`): `RoomSyncError`, a WeCom failure and a manifest's errors all print as diagnostics.
///
/// The message is kept as a `LocalizedText` and rendered where it is printed, in that task's language; the severity
/// word (`error:`, `warning:`, `note:`) stays English in every language, since editors and CI parse it.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible, RenderableError {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
        case note
    }

    public var severity: Severity
    /// Where the problem is; `nil` only for problems that belong to no file (for example "no manifest given").
    public var location: SourceLocation?
    /// What is wrong, as a catalogue key and its values.
    public var text: LocalizedText

    public init(_ severity: Severity, at location: SourceLocation?, _ text: LocalizedText) {
        self.severity = severity
        self.location = location
        self.text = text
    }

    /// A diagnostic whose message is not in the catalogue yet: it reads the same in every language.
    public init(_ severity: Severity, at location: SourceLocation?, _ message: String) {
        self.init(severity, at: location, LocalizedText(plain: message))
    }

    public static func error(at location: SourceLocation?, _ text: LocalizedText) -> Diagnostic {
        Diagnostic(.error, at: location, text)
    }

    public static func warning(at location: SourceLocation?, _ text: LocalizedText) -> Diagnostic {
        Diagnostic(.warning, at: location, text)
    }

    public static func error(at location: SourceLocation?, _ message: String) -> Diagnostic {
        Diagnostic(.error, at: location, message)
    }

    public static func warning(at location: SourceLocation?, _ message: String) -> Diagnostic {
        Diagnostic(.warning, at: location, message)
    }

    /// The message in the task's language, without location or severity.
    public var message: String { text.rendered() }

    public var diagnostics: [Diagnostic] { [self] }

    /// The line in `language`: `FILE:LINE:COLUMN: error: MESSAGE`, or `error: MESSAGE` without a location.
    public func rendered(in language: Language = Language.current) -> String {
        let line = "\(severity.rawValue): \(text.rendered(in: language))"
        guard let location else { return line }
        return "\(location): \(line)"
    }

    public var description: String { rendered() }
}

/// Several diagnostics thrown together: every error of a run, not just the first.
public struct DiagnosticList: Error, Sendable, Hashable, CustomStringConvertible, RenderableError {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
