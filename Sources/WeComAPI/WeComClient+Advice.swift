import Foundation
import RoomSyncCore

/// The texts that end a call and say what to do: the deadline, WeCom's hourly limit, and the errcodes that stop a
/// first real run.
extension WeComClient {
    /// The one line a call ends with when its deadline passes without an answer.
    func deadlineError(_ operation: String, attempts: Int, last: String) -> MeetingRoomAPIError {
        let seconds = configuration.timeout.seconds
        let limit = seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
        let values = ["endpoint": redact(base), "limit": limit, "attempts": String(max(1, attempts)), "last": last]
        let detail =
            configuration.proxy.map { LocalizedText(.wecomDeadlineViaProxy, values.merging(["proxy": $0.description]) { $1 }) }
            ?? LocalizedText(.wecomDeadline, values)
        // Only failures before sending are retried for add, so reaching the deadline here means nothing was
        // applied; an add that timed out waiting for its answer ends earlier, as outcome unknown (`classify`).
        return .transport(operation: operation, detail: detail)
    }

    func hourlyLimitError(_ operation: String, _ error: MeetingRoomAPIError) -> MeetingRoomAPIError {
        .wecom(
            errcode: WeComErrcode.rateLimited,
            advice: LocalizedText(.wecomHourlyLimit, ["errmsg": Self.errmsgText(error.message)]),
            operation: operation)
    }

    /// Whether a 45009's errmsg says the long window was hit: the sandbox says `(long window)`; WeCom may say
    /// `hour`. Real WeCom usually says neither, and the client infers the hourly limit from how long 45009 lasts.
    static func saysLongWindow(_ errmsg: String) -> Bool {
        let text = errmsgText(errmsg).lowercased()
        return text.contains("long window") || text.contains("hour")
    }

    /// The TEXT of a WeCom errmsg (`TEXT, hint: [...], from ip: ..., more info at ...`).
    static func errmsgText(_ errmsg: String) -> String {
        if let range = errmsg.range(of: ", hint: [") { return String(errmsg[..<range.lowerBound]) }
        return errmsg
    }

    /// The address in a WeCom errmsg's `from ip: ADDR`.
    static func fromIP(_ errmsg: String) -> String? {
        guard let match = errmsg.firstMatch(of: /from ip: ([0-9A-Fa-f:.]+)/) else { return nil }
        return String(match.1)
    }

    /// What WeCom's errcodes that stop a first real run mean, and what to do (SPEC section 7). `nil` for others.
    func advice(errcode: Int, errmsg: String) -> LocalizedText? {
        let text = Self.errmsgText(errmsg)
        switch errcode {
        case WeComErrcode.untrustedIP:
            let address = Self.fromIP(errmsg) ?? Catalogue.text(.wecomThisMachine)
            return LocalizedText(.wecomUntrustedIP, ["address": address, "text": text])
        case WeComErrcode.apiForbidden:
            return LocalizedText(.wecomAPIForbidden, ["text": text])
        case WeComErrcode.badCorpID:
            return LocalizedText(.wecomBadCorpID, ["corp": configuration.corpID, "text": text])
        case WeComErrcode.badSecret:
            return LocalizedText(.wecomBadSecret, ["text": text, "corp": configuration.corpID])
        default:
            return nil
        }
    }
}
