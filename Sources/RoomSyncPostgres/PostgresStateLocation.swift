import Foundation
import RoomSyncCore
import RoomSyncEngine

/// Where a postgres state lives: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…&schema=NAME]` plus the
/// workspace. The password comes from the URL or `PGPASSWORD` and never appears in `displayName` or an error.
public struct PostgresStateLocation: Sendable, Hashable {
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, unverified (libpq's default).
        case prefer
        /// TLS or fail, unverified (libpq's `require`).
        case require
        /// TLS with the server's certificate verified against the system's trusted roots and the host name.
        case verifyFull = "verify-full"
    }

    public static let defaultSchema = "roomsync"
    public static let defaultPort = 5432

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// A validated SQL identifier: the one name roomsync writes into its SQL rather than binding.
    public var schema: String
    public var workspace: String
    /// The CA certificates (PEM) that sign the server's certificate, for `verify-full`: `sslrootcert=PATH`, or
    /// `SSL_CERT_FILE`; without either, the system's trusted roots.
    public var sslRootCert: String?

    /// Whether `--state` names a database rather than a file.
    public static func isPostgresURL(_ state: String) -> Bool {
        let lower = state.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public init(url: String, workspace: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws
    {
        func invalid(_ reason: MessageKey, _ values: KeyValuePairs<String, any CustomStringConvertible> = [:]) -> RoomSyncError {
            RoomSyncError(.invalidStateURL, ["url": Self.redacted(url), "reason": Catalogue.text(reason, values)])
        }
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("postgres://") {
            rest = url.dropFirst("postgres://".count)
        } else if lower.hasPrefix("postgresql://") {
            rest = url.dropFirst("postgresql://".count)
        } else {
            throw invalid(.stateURLShape)
        }
        guard let at = Self.userInfoEnd(rest) else {
            throw invalid(rest.contains("@") ? .stateURLMissingDatabasePath : .stateURLMissingUser)
        }
        let userInfo = rest[..<at]
        let afterAt = rest[rest.index(after: at)...]
        let hostAndPath: Substring
        let query: Substring?
        if let mark = afterAt.firstIndex(of: "?") {
            hostAndPath = afterAt[..<mark]
            query = afterAt[afterAt.index(after: mark)...]
        } else {
            hostAndPath = afterAt
            query = nil
        }
        let rawUser: Substring
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            rawUser = userInfo[..<colon]
            let text = String(userInfo[userInfo.index(after: colon)...])
            password = text.removingPercentEncoding ?? text
        } else {
            rawUser = userInfo
        }
        guard let user = String(rawUser).removingPercentEncoding, !user.isEmpty else { throw invalid(.stateURLEmptyUser) }
        guard let slash = hostAndPath.firstIndex(of: "/") else { throw invalid(.stateURLMissingDatabasePath) }
        let hostPort = hostAndPath[..<slash]
        guard let database = String(hostAndPath[hostAndPath.index(after: slash)...]).removingPercentEncoding,
            !database.isEmpty
        else { throw invalid(.stateURLEmptyDatabase) }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid(.stateURLUnclosedBracket) }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw invalid(.stateURLAfterHost, ["text": after])
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw invalid(.stateURLMissingHost) }
        var port = Self.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw invalid(.stateURLBadPort, ["port": portText])
            }
            port = value
        }

        var sslMode = SSLMode.prefer
        var schema = Self.defaultSchema
        var sslRootCert: String?
        for pair in (query ?? "").split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            switch name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid(.stateURLBadSSLMode, ["value": value, "modes": SSLMode.allCases.map(\.rawValue).joined(separator: ", ")])
                }
                sslMode = mode
            case "schema":
                guard Self.isIdentifier(value) else {
                    throw invalid(.stateURLBadSchema, ["value": value])
                }
                schema = value
            case "sslrootcert":
                guard !value.isEmpty else { throw invalid(.stateURLRootCertWithoutPath) }
                sslRootCert = value
            default:
                throw invalid(.stateURLUnknownParameter, ["name": name])
            }
        }
        guard !workspace.isEmpty else { throw RoomSyncError(.workspaceEmpty) }

        self.user = user
        // An empty PGPASSWORD (an unset CI secret) is no password, which the server's refusal then says.
        self.password = password ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        self.host = String(host)
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
        self.workspace = workspace
        self.sslRootCert = sslRootCert ?? environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `HOST:PORT`, for errors about the server.
    public var server: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `postgres://USER@HOST:PORT/DB (workspace W)`, with `?schema=` when it is not the default. No password.
    public var displayName: String {
        let schemaPart = schema == Self.defaultSchema ? "" : "?schema=\(schema)"
        return "postgres://\(user)@\(server)/\(database)\(schemaPart) (workspace \(workspace))"
    }

    /// The text the advisory lock key is hashed from: the same workspace in another schema is another state.
    public var lockName: String { "roomsync:\(schema):\(workspace)" }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63,
            first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        }
    }

    /// Where the user info of `rest` (the URL after `://`) ends: the first '@' after which the text before any
    /// '?' has a '/' and no other '@'. So a password with '@', '/', '?' or '#' that was not percent-encoded still
    /// reads, and is never printed, while an '@' in the query (a certificate's path) is not taken for it.
    static func userInfoEnd(_ rest: Substring) -> Substring.Index? {
        rest.indices.first { index in
            guard rest[index] == "@" else { return false }
            let after = rest[rest.index(after: index)...]
            let beforeQuery = after[..<(after.firstIndex(of: "?") ?? after.endIndex)]
            return beforeQuery.contains("/") && !beforeQuery.contains("@")
        }
    }

    /// What stands for a password in anything roomsync prints.
    public static let redactionMarker = "REDACTED"

    /// `url` with any password replaced by `REDACTED`, for messages that have to show what the user typed: from
    /// the first ':' after the user to where the user info ends (`userInfoEnd`), or in a URL that does not parse,
    /// to the last '@', erring on the side of hiding.
    public static func redacted(_ url: String) -> String {
        redactingQueryPasswords(redactingUserInfo(url))
    }

    /// libpq also reads a password from the query (`?password=`, `sslpassword=`): any parameter whose name says
    /// password has its value replaced, up to the next `&` or `#`.
    static func redactingQueryPasswords(_ url: String) -> String {
        guard let query = url.firstIndex(of: "?") else { return url }
        var result = String(url[...query])
        var rest = url[url.index(after: query)...]
        while !rest.isEmpty {
            let end = rest.firstIndex(where: { $0 == "&" || $0 == "#" }) ?? rest.endIndex
            let parameter = rest[..<end]
            if let equals = parameter.firstIndex(of: "="), parameter[..<equals].lowercased().contains("password") {
                result += parameter[...equals] + redactionMarker
            } else {
                result += parameter
            }
            guard end < rest.endIndex else { break }
            if rest[end] == "#" { return result + rest[end...] }
            result.append("&")
            rest = rest[rest.index(after: end)...]
        }
        return result
    }

    private static func redactingUserInfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterScheme = url[scheme.upperBound...]
        if let at = userInfoEnd(afterScheme) ?? afterScheme.lastIndex(of: "@") {
            guard let colon = afterScheme[..<at].firstIndex(of: ":") else { return url }
            return String(url[..<colon]) + ":" + redactionMarker + String(url[at...])
        }
        // No '@': a ':' before the path is a port, unless what follows is not a number.
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
        guard let colon = afterScheme[..<authorityEnd].firstIndex(of: ":") else { return url }
        let port = afterScheme[afterScheme.index(after: colon)..<authorityEnd]
        if !port.isEmpty, port.allSatisfy(\.isASCII), Int(port) != nil { return url }
        return String(url[..<colon]) + ":" + redactionMarker
    }
}
