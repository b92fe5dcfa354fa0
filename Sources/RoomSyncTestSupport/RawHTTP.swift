import AsyncHTTPClient
import Foundation
import NIOCore

/// Sends exact bytes, so tests can check the sandbox answers the seed document's JSON (trailing commas and all)
/// the way WeCom does, without going through `WeComClient`.
public enum RawHTTP {
    public static func post(_ url: String, _ body: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    public static func get(_ url: String) async throws -> [String: Any] {
        try await send(HTTPClientRequest(url: url))
    }

    private static func send(_ request: HTTPClientRequest) async throws -> [String: Any] {
        // A bound for a hung sandbox, not a measure of speed: a loaded run (a second build beside the suite) took
        // over 10 s for one answer.
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        // WeCom answers errors with HTTP 200 too, so anything else is a sandbox bug.
        guard response.status == .ok else { throw RawHTTPError(status: response.status.code) }
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        return object as? [String: Any] ?? [:]
    }
}

public struct RawHTTPError: Error {
    public let status: UInt
}
