import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a connection could not be made, told from the error's type and errno rather than from NIO's text
/// (`connection reset (error set): Connection refused) (errno: 111)`), in the words the client's messages use.
enum ConnectionFailure {
    /// `connection refused`, `no route to host`, `timeout`, `the server closed the connection`…, or `nil` for an
    /// error whose kind this does not know.
    static func reason(_ error: any Error) -> String? {
        switch error {
        case let error as IOError:
            return reason(errno: error.errnoCode)
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return reason(first.error) ?? reason(errno: ECONNREFUSED) }
            return "cannot resolve the host name"
        case ChannelError.connectTimeout:
            return "timeout"
        case let error as HTTPClientError where error == .connectTimeout:
            return "timeout"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "the server closed the connection"
        case let error as HTTPClientError where error == .invalidProxyResponse:
            return "the proxy did not open a tunnel"
        default:
            return nil
        }
    }

    static func reason(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case EHOSTUNREACH: "no route to host"
        case ENETUNREACH: "network is unreachable"
        case ETIMEDOUT: "timeout"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
