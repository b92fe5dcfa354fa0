import Foundation

/// A failure that ends a command with one clear line and exit 1: `FILE:LINE:COLUMN: error: MESSAGE`, or
/// `error: MESSAGE` when it belongs to no place in a file.
///
/// Grown like async-http-client's `HTTPClientError`: the code is a catalogue key (`MessageKey`, errors section), so
/// a new kind of failure is a new key with its texts, and no caller's code breaks. Callers tell failures apart by
/// `code` and the values, never by the text, which is rendered in the language of whoever prints it.
public struct RoomSyncError: Error, Sendable, Hashable, CustomStringConvertible, RenderableError {
    /// Where in a manifest (or other file roomsync reads) the problem is, when it is in one.
    public var location: SourceLocation?
    /// What went wrong: the code and the values the text names.
    public var text: LocalizedText

    public init(_ code: MessageKey, _ values: KeyValuePairs<String, any CustomStringConvertible> = [:], at location: SourceLocation? = nil) {
        self.location = location
        self.text = LocalizedText(code, Dictionary(values.map { ($0.key, $0.value.description) }, uniquingKeysWith: { $1 }))
    }

    public init(_ text: LocalizedText, at location: SourceLocation? = nil) {
        self.location = location
        self.text = text
    }

    /// Which failure this is, whatever the language.
    public var code: MessageKey { text.key }

    /// The message in the task's language, without location or `error:`.
    public var message: String { text.rendered() }

    public var diagnostics: [Diagnostic] { [Diagnostic(.error, at: location, text)] }

    /// The message, as it reads inside another message (`target: …`); with a location, the whole
    /// `FILE:LINE:COLUMN: error: …` line, since the place is part of what it says. A command prints `diagnostics`.
    public var description: String {
        location == nil ? message : Diagnostic(.error, at: location, text).description
    }

    /// `error` as one of these: itself, the first error line of a `RenderableError`, or, for an error of a library
    /// that nothing turned into words of roomsync's, `unexpectedError` with the library's own text.
    public init(_ error: any Error) {
        if let error = error as? RoomSyncError {
            self = error
        } else if let renderable = error as? any RenderableError,
            let first = renderable.diagnostics.first(where: { $0.severity == .error }) ?? renderable.diagnostics.first
        {
            self.init(first.text, at: first.location)
        } else {
            self.init(.unexpectedError, ["error": String(describing: error)])
        }
    }
}

extension RoomSyncError {
    /// The operating system's words for why a file operation failed (`Is a directory`), from a Foundation error
    /// when it carries the errno, else Foundation's own description.
    public static func systemReason(of error: any Error) -> String {
        if let error = error as? FileSystemError { return error.reason }
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}

/// An error that says itself to a person as diagnostics: one line each, `[FILE:LINE:COLUMN: ]error: MESSAGE`. The
/// command prints an error's `diagnostics` and nothing else, so there is one way an error is rendered; an error
/// that is not one reaches the user as `unexpectedError`, which a test should catch.
public protocol RenderableError: Error {
    var diagnostics: [Diagnostic] { get }
}

extension LocalizedText {
    /// Text made elsewhere that roomsync shows as it is (an operating system's reason, WeCom's errmsg), or that is
    /// not in the catalogue yet: the same in every language.
    public init(plain text: String) {
        self.init(.plainText, ["text": text])
    }
}

extension FileSystemError: RenderableError {
    public var diagnostics: [Diagnostic] { [Diagnostic(.error, at: nil, text)] }

    /// `cannot read PATH: REASON`, the reason in the operating system's words.
    public var text: LocalizedText {
        LocalizedText(operation == .read ? .cannotReadFile : .cannotWriteFile, ["path": path, "reason": reason])
    }

    /// What a file roomsync reads or writes is, for an error that names it.
    public enum Role: Sendable, Hashable {
        case state
        case corpSecretFile
        case sandboxData
    }

    /// The error naming what the file is: `cannot write state .roomsync/state.json: No space left on device`.
    public func error(about role: Role) -> RoomSyncError {
        let code: MessageKey =
            switch (role, operation) {
            case (.state, .read): .cannotReadState
            case (.state, .write): .cannotWriteState
            case (.corpSecretFile, _): .cannotReadCorpSecretFile
            case (.sandboxData, .read): .cannotReadSandboxData
            case (.sandboxData, .write): .cannotWriteSandboxData
            }
        return RoomSyncError(code, ["path": path, "reason": reason])
    }
}

extension Language.UnknownLanguage: RenderableError {
    public var diagnostics: [Diagnostic] {
        [Diagnostic(.error, at: nil, LocalizedText(.unknownLanguage, ["source": source, "value": value]))]
    }
}
