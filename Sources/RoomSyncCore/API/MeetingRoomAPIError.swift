/// Why a meeting-room API call failed, after the implementation's own retries. A struct around a private code,
/// so that new kinds of failure can be added without breaking callers.
public struct MeetingRoomAPIError: Error, Sendable, Hashable, CustomStringConvertible, RenderableError {
    private enum Code: Hashable, Sendable {
        /// WeCom answered with a non-zero errcode.
        case wecom(errcode: Int)
        /// The request was sent and no answer came back: it may or may not have been applied.
        case outcomeUnknown
        /// Like `outcomeUnknown`, but the client stopped waiting (a timeout) rather than the connection closing: the
        /// request may still be being applied, so a list made now can miss it.
        case outcomeUnknownTimedOut
        /// The answer was not a WeCom JSON body (HTML, truncated JSON, wrong types).
        case badResponse
        /// The request could not be sent or no connection could be made; nothing was applied.
        case transport
    }

    private let code: Code
    /// The API path, for example `oa/meetingroom/add`.
    public let operation: String
    /// What went wrong, with what to do: WeCom's errmsg as it is, or the client's words from the catalogue. Never
    /// contains a secret or token.
    public let detail: LocalizedText

    private init(_ code: Code, operation: String, detail: LocalizedText) {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    /// What went wrong, in the task's language; WeCom's errmsg for `wecom` errors.
    public var message: String { detail.rendered() }

    public static func wecom(errcode: Int, errmsg: String, operation: String) -> MeetingRoomAPIError {
        MeetingRoomAPIError(.wecom(errcode: errcode), operation: operation, detail: LocalizedText(plain: errmsg))
    }

    /// A WeCom errcode with the client's advice in place of WeCom's errmsg (which the advice quotes).
    public static func wecom(errcode: Int, advice: LocalizedText, operation: String) -> MeetingRoomAPIError {
        MeetingRoomAPIError(.wecom(errcode: errcode), operation: operation, detail: advice)
    }

    public static func outcomeUnknown(operation: String, message: String, timedOut: Bool = false) -> MeetingRoomAPIError {
        outcomeUnknown(operation: operation, detail: LocalizedText(plain: message), timedOut: timedOut)
    }

    public static func outcomeUnknown(operation: String, detail: LocalizedText, timedOut: Bool = false) -> MeetingRoomAPIError {
        MeetingRoomAPIError(timedOut ? .outcomeUnknownTimedOut : .outcomeUnknown, operation: operation, detail: detail)
    }

    public static func badResponse(operation: String, message: String) -> MeetingRoomAPIError {
        badResponse(operation: operation, detail: LocalizedText(plain: message))
    }

    public static func badResponse(operation: String, detail: LocalizedText) -> MeetingRoomAPIError {
        MeetingRoomAPIError(.badResponse, operation: operation, detail: detail)
    }

    public static func transport(operation: String, message: String) -> MeetingRoomAPIError {
        transport(operation: operation, detail: LocalizedText(plain: message))
    }

    public static func transport(operation: String, detail: LocalizedText) -> MeetingRoomAPIError {
        MeetingRoomAPIError(.transport, operation: operation, detail: detail)
    }

    /// WeCom's errcode, when WeCom answered with one.
    public var errcode: Int? {
        if case .wecom(let errcode) = code { return errcode }
        return nil
    }

    public var isOutcomeUnknown: Bool { code == .outcomeUnknown || code == .outcomeUnknownTimedOut }
    /// An outcome-unknown call the client gave up waiting for: its answer (and effect) may still come.
    public var outcomeUnknownAfterTimeout: Bool { code == .outcomeUnknownTimedOut }
    public var isBadResponse: Bool { code == .badResponse }
    public var isTransport: Bool { code == .transport }

    /// `OPERATION: WeCom error ERRCODE: ERRMSG` and the like, in the language of whoever prints it; WeCom's errmsg
    /// and the client's words for a transport failure are shown as they are.
    public var text: LocalizedText {
        switch code {
        case .wecom(let errcode):
            LocalizedText(.apiWeComError, ["operation": operation, "errcode": String(errcode), "message": message])
        case .outcomeUnknown, .outcomeUnknownTimedOut:
            LocalizedText(.apiOutcomeUnknown, ["operation": operation, "message": message])
        case .badResponse: LocalizedText(.apiBadResponse, ["operation": operation, "message": message])
        case .transport: LocalizedText(.apiTransport, ["operation": operation, "message": message])
        }
    }

    public var diagnostics: [Diagnostic] { [Diagnostic(.error, at: nil, text)] }

    public var description: String { text.rendered() }
}

/// WeCom's errcodes that roomsync and the sandbox give meaning to (SPEC section 6).
public enum WeComErrcode {
    public static let busy = -1
    public static let badSecret = 40001
    public static let badCorpID = 40013
    public static let invalidToken = 40014
    public static let invalidParameter = 40058
    public static let missingToken = 41001
    public static let expiredToken = 42001
    public static let rateLimited = 45009
    /// WeCom's 45033, "api concurrent out of limit": too many calls in flight at once; retried like -1.
    public static let tooManyInFlight = 45033
    /// The app may not call this API: it is not added under 会议室 → 可调用接口的应用.
    public static let apiForbidden = 48002
    /// The caller's address is not among the app's trusted IPs (企业可信IP).
    public static let untrustedIP = 60020
    /// The body is not valid JSON. The sandbox answers malformed JSON with this, as WeCom does.
    public static let badJSON = 47001
}
