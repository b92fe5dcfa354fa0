public import Hummingbird
import Logging
import NIOCore

/// A tiny Hummingbird server on a loopback port that answers whatever a test routes, for responses the sandbox
/// never gives (HTML pages, truncated JSON, HTTP 5xx). Stopped on every path.
/// `token` is called for each `gettoken` and returns the token to hand out.
public func withFakeWeCom<T>(
    token: @escaping @Sendable () -> String = { "fake-token-1" },
    _ routes: (Router<BasicRequestContext>) -> Void, _ body: (String) async throws -> T
) async throws -> T {
    let router = Router()
    // Every fake hands out a token, so the client gets as far as the call under test.
    router.get("/cgi-bin/gettoken") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"errcode":0,"errmsg":"ok","access_token":"\#(token())","expires_in":7200}"#))
        )
    }
    routes(router)
    var logger = Logger(label: "roomsync.test.fake")
    logger.logLevel = .critical
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger
    )
    let task = Task {
        defer { continuation.finish() }
        try await app.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        try await task.value
        throw CancellationError()
    }
    do {
        let result = try await body("http://127.0.0.1:\(port)")
        task.cancel()
        _ = try? await task.value
        return result
    } catch {
        task.cancel()
        _ = try? await task.value
        throw error
    }
}

public func answer(_ status: HTTPResponse.Status, _ contentType: String, _ text: String) -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
}
