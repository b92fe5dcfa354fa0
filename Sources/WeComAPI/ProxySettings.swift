import Foundation
import RoomSyncCore

/// The forward proxy the client reaches WeCom through (SPEC section 3, network options): `--proxy URL`, or
/// `HTTPS_PROXY`/`HTTP_PROXY` (by the endpoint's scheme) unless `NO_PROXY` names the endpoint's host. A loopback
/// endpoint is proxied only when `--proxy` asks for it. `http://[USER:PASSWORD@]HOST:PORT` proxies are reached with
/// `CONNECT` (AsyncHTTPClient tunnels every request, https or not), with basic authentication when the URL carries
/// credentials; `socks5://HOST:PORT` proxies are supported without credentials.
///
/// The credentials never appear in `description`, in errors or in logs.
public struct ProxySettings: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case http, socks5
    }

    public var kind: Kind
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    /// Where the setting came from (`--proxy`, `HTTPS_PROXY`, …), for messages.
    public var source: String

    /// A bad proxy URL, described without its credentials.
    public struct ParseError: Error, CustomStringConvertible, Sendable, RenderableError {
        public let text: LocalizedText

        public var description: String { text.rendered() }
        public var diagnostics: [Diagnostic] { [Diagnostic(.error, at: nil, text)] }
    }

    /// Parses a proxy URL. Errors never repeat the URL's credentials.
    public init(url text: String, source: String = "--proxy") throws {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else {
            throw ParseError(text: LocalizedText(.proxyNotAURL, ["source": source]))
        }
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h", "socks": kind = .socks5
        case "https":
            throw ParseError(text: LocalizedText(.proxyOverHTTPS, ["source": source]))
        default:
            throw ParseError(text: LocalizedText(.proxyUnsupportedScheme, ["source": source, "scheme": scheme]))
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (kind == .http ? 80 : 1080)
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.password
        self.source = source
        if kind == .socks5, username != nil || password != nil {
            throw ParseError(text: LocalizedText(.proxySocksWithCredentials, ["source": source]))
        }
    }

    /// `http://HOST:PORT`, with `REDACTED@` standing for credentials: the one marker of every secret roomsync prints.
    public var description: String {
        let credentials = (username != nil || password != nil) ? "REDACTED@" : ""
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(kind.rawValue)://\(credentials)\(host):\(port)"
    }

    /// The proxy for `endpoint`: `explicit` (`--proxy`) if given, else the environment's for the endpoint's scheme
    /// unless `NO_PROXY` matches or the endpoint is loopback. `nil` means connect directly.
    public static func resolve(
        explicit: String?, endpoint: String, environment: [String: String]
    ) throws -> ProxySettings? {
        if let explicit, !explicit.isEmpty { return try ProxySettings(url: explicit, source: "--proxy") }
        guard let url = URLComponents(string: endpoint), let host = url.host?.lowercased() else { return nil }
        let names = url.scheme?.lowercased() == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        guard let name = names.first(where: { environment[$0].map { !$0.isEmpty } ?? false }),
              let value = environment[name]
        else { return nil }
        if isLoopback(host) { return nil }
        let noProxy = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        if bypasses(host: host, noProxy: noProxy) { return nil }
        return try ProxySettings(url: value, source: name)
    }

    /// Whether `NO_PROXY` (comma-separated hosts, `.domain` suffixes, `*`; ports ignored) names `host`.
    public static func bypasses(host: String, noProxy: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        for rawEntry in noProxy.split(separator: ",") {
            var entry = rawEntry.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
                entry = String(entry[entry.index(after: entry.startIndex)..<close])
            } else if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            let bare = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            guard !bare.isEmpty else { continue }
            if host == bare || host.hasSuffix("." + bare) { return true }
        }
        return false
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1"
            || host == "[::1]"
    }
}
