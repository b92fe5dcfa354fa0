import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import RoomSyncCore
import RoomSyncEngine
import Synchronization

/// Opens connections to one server and turns what postgres-nio throws into one clear line.
struct PostgresConnector: Sendable {
    let location: PostgresStateLocation
    let logger: Logger

    init(location: PostgresStateLocation) {
        self.location = location
        // The command prints its own errors; the driver's logs would only repeat them.
        self.logger = Logger(label: "roomsync.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    func connect() async throws -> PostgresConnection {
        try await run {
            let tls: PostgresConnection.Configuration.TLS
            switch location.sslMode {
            case .disable:
                tls = .disable
            case .prefer, .require:
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                let context = try NIOSSLContext(configuration: configuration)
                tls = location.sslMode == .prefer ? .prefer(context) : .require(context)
            case .verifyFull:
                // The chain against the CA given (or the system's roots), and the certificate against the host name.
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .fullVerification
                if let path = location.sslRootCert {
                    guard FileManager.default.isReadableFile(atPath: path) else {
                        throw RoomSyncError(.postgresCAFileUnreadable, ["server": location.server, "path": path])
                    }
                    configuration.trustRoots = .file(path)
                }
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: configuration)
                } catch {
                    throw RoomSyncError(
                        .postgresCAFileNoPEM, ["server": location.server, "path": location.sslRootCert ?? "", "reason": "\(error)"])
                }
                tls = .require(context)
            }
            var configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: tls)
            configuration.options.connectTimeout = .seconds(10)
            configuration.options.additionalStartupParameters = [("application_name", "roomsync")]
            return try await PostgresConnection.connect(
                configuration: configuration, id: Self.nextID(), logger: logger)
        }
    }

    /// Runs `body`, rethrowing what the driver throws as a `RoomSyncError` about this server.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw explain(error)
        }
    }

    /// Whether `error` (as `explain` made it) says the server cannot be reached.
    func isUnreachable(_ error: any Error) -> Bool {
        (error as? RoomSyncError)?.code == .postgresUnreachable
    }

    func explain(_ error: any Error) -> any Error {
        if !(error is RoomSyncError), Self.isTLSFailure(error) {
            return RoomSyncError(
                .postgresTLSRejected, ["server": location.server, "mode": location.sslMode.rawValue, "host": location.host])
        }
        switch error {
        case is RoomSyncError, is CancellationError:
            return error
        case let error as PostgresTransactionError:
            return explain(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        case let error as PSQLError:
            if error.code == .server, let info = error.serverInfo {
                let message = info[.message] ?? "an error"
                let state = info[.sqlState] ?? ""
                // 08: connection exceptions, 57: the server shutting down or restarting.
                if state.hasPrefix("08") || state.hasPrefix("57") {
                    return RoomSyncError(.postgresUnreachable, ["server": location.server, "reason": message])
                }
                if state.hasPrefix("28") || state == "3D000" {
                    return RoomSyncError(.postgresRefusedConnection, ["server": location.server, "reason": message])
                }
                if state == "42501" {
                    return RoomSyncError(.postgresRefusedUser, ["server": location.server, "user": location.user, "reason": message])
                }
                return RoomSyncError(.postgresFailed, ["server": location.server, "reason": message, "state": state])
            }
            if error.code == .authMechanismRequiresPassword {
                return RoomSyncError(.postgresNeedsPassword, ["server": location.server, "user": location.user])
            }
            return RoomSyncError(.postgresUnreachable, ["server": location.server, "reason": reason(error)])
        default:
            return RoomSyncError(.postgresUnreachable, ["server": location.server, "reason": reason(error)])
        }
    }

    private func reason(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let underlying = error.underlying { return reason(underlying) }
            switch error.code {
            case .serverClosedConnection: return "the server closed the connection"
            case .clientClosedConnection: return "the connection was closed"
            case .sslUnsupported: return "the server does not support TLS (sslmode=require)"
            default: return "\(error.code)"
            }
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return reason(first.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(location.host) (\(dns))" }
            return "cannot connect"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case is ChannelError:
            return "the connection was lost (\(error))"
        case is ConnectionClosed:
            return "the server closed the connection"
        default:
            return "\(error)"
        }
    }

    /// Whether the connection failed in the TLS handshake (the certificate's chain or host name), wherever the
    /// driver wrapped it.
    static func isTLSFailure(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.underlying.map(isTLSFailure) ?? false
        case let error as NIOConnectionError: error.connectionErrors.contains { isTLSFailure($0.error) }
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError: true
        default: false
        }
    }

    private static let ids = Mutex(0)
    static func nextID() -> Int {
        ids.withLock {
            $0 += 1
            return $0
        }
    }
}

/// The connection was closed (the server went away) before a query could be sent.
struct ConnectionClosed: Error {}

extension PostgresConnection {
    /// `query`, failing at once on a connection already closed: a query written to a closed channel would
    /// otherwise wait forever for an answer.
    @discardableResult
    func send(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw ConnectionClosed() }
        return try await self.query(query, logger: logger)
    }

    /// Runs `body` in a transaction: BEGIN, the body, then COMMIT, or ROLLBACK when the body fails while the
    /// session lives on. The one place roomsync writes BEGIN, COMMIT and ROLLBACK.
    ///
    /// Not postgres-nio's `withTransaction`: in 1.33.2 it sends its ROLLBACK whatever ended the body, with `query`,
    /// and a query written to a connection the server has just closed is never answered, so a commit whose session
    /// died mid-statement hung for ever (`aConnectionLostInsideACommitIsOneClearLineAndWritesNothing`). A session
    /// that ended took its transaction with it: there is nothing to roll back. A ROLLBACK that fails is not
    /// reported over the body's error, which says what went wrong; the server ends the transaction with the session.
    func transaction<T>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await send("BEGIN", logger: logger)
        let value: T
        do {
            value = try await body(self)
        } catch {
            if Self.sessionSurvives(error) { _ = try? await send("ROLLBACK", logger: logger) }
            throw error
        }
        try await send("COMMIT", logger: logger)
        return value
    }

    /// Whether the session is still there after `error`: a statement the server refused (severity ERROR) or a
    /// failure of roomsync's own; not a lost connection, nor a FATAL with which the server ended the session.
    static func sessionSurvives(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.code == .server && error.serverInfo?[.severity] == "ERROR"
        case is ConnectionClosed, is ChannelError, is IOError: false
        default: true
        }
    }
}
