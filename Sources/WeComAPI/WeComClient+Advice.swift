import Foundation
import RoomSyncCore

/// The texts that end a call and say what to do: the deadline, WeCom's hourly limit, and the errcodes that stop a
/// first real run.
extension WeComClient {
    /// The one line a call ends with when its deadline passes without an answer.
    func deadlineError(_ operation: String, attempts: Int, last: String) -> MeetingRoomAPIError {
        let seconds = configuration.timeout.seconds
        let limit = seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
        let via = configuration.proxy.map { " through the proxy \($0)" } ?? ""
        let message = "no answer from \(redact(base))\(via) within \(limit)s (\(max(1, attempts)) attempt(s), last: \(last)); "
            + "check the endpoint, the network or firewall"
            + (configuration.proxy == nil ? " and whether a proxy is needed (--proxy)" : " and the proxy")
            + ", or raise --timeout"
        // Only failures before sending are retried for add, so reaching the deadline here means nothing was
        // applied; an add that timed out waiting for its answer ends earlier, as outcome unknown (`classify`).
        return .transport(operation: operation, message: message)
    }

    func hourlyLimitError(_ operation: String, _ error: MeetingRoomAPIError) -> MeetingRoomAPIError {
        .wecom(
            errcode: WeComErrcode.rateLimited,
            errmsg: "WeCom's hourly limit for this API is used up (45009 past the minute window; 150,000 calls an hour "
                + "per API per corp): stopped rather than wait up to an hour; what succeeded is kept, run again later "
                + "(WeCom: \(Self.errmsgText(error.message)))",
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
    func advice(errcode: Int, errmsg: String) -> String? {
        let text = Self.errmsgText(errmsg)
        switch errcode {
        case WeComErrcode.untrustedIP:
            let address = Self.fromIP(errmsg) ?? "this machine's address"
            return "WeCom refused the call from \(address), which is not among the app's trusted IPs (\(text)): "
                + "add \(address) to the app's 企业可信IP (WeCom admin console → 应用管理 → the app → 企业可信IP), "
                + "or route roomsync through a proxy with a fixed address that is (--proxy URL or HTTPS_PROXY)"
        case WeComErrcode.apiForbidden:
            return "the app may not call the meeting-room API (\(text)): in the WeCom admin console add it under "
                + "会议室 → 可调用接口的应用 (应用管理 → 会议室 → API)"
        case WeComErrcode.badCorpID:
            return "WeCom does not know the corp id \(configuration.corpID) (\(text)): check WECOM_CORP_ID or "
                + "--corp-id (the 企业ID under 我的企业 → 企业信息)"
        case WeComErrcode.badSecret:
            return "WeCom refused the corp secret (\(text)): check WECOM_CORP_SECRET or --corp-secret-file holds the "
                + "Secret of the self-built app (应用管理 → the app → Secret) of corp \(configuration.corpID)"
        default:
            return nil
        }
    }
}
