import Foundation

extension SandboxServer {
    /// A server started in the background by `SandboxServer.start()`. Call `stop()` when done; it returns once
    /// the socket is closed.
    public final class Running: Sendable {
        /// The address the server answers on, for example `http://127.0.0.1:49152`.
        public let endpoint: String
        public let port: Int
        /// The store behind the server: edit rooms out of band, expire tokens, read counters.
        public let store: SandboxStore
        private let task: Task<Void, any Error>

        init(endpoint: String, port: Int, store: SandboxStore, task: Task<Void, any Error>) {
            self.endpoint = endpoint
            self.port = port
            self.store = store
            self.task = task
        }

        /// Stops serving (cancelling the server's task) and waits for it to finish.
        public func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    /// Starts serving, runs `body` with the running server, and stops it on every path (return, throw,
    /// cancellation): the scoped way to serve, as `HTTPClient.withHTTPClient` is the scoped way to connect.
    public func withRunning<T>(_ body: (Running) async throws -> T) async throws -> T {
        let running = try await start()
        do {
            let result = try await body(running)
            await running.stop()
            return result
        } catch {
            await running.stop()
            throw error
        }
    }

    /// Starts serving in a background task and returns once the socket is bound, with the actual port. Throws if
    /// the server stops before it is listening (for example when the port is taken). Prefer `withRunning`.
    public func start() async throws -> Running {
        let (ports, continuation) = AsyncStream<(String, Int)>.makeStream()
        let task = Task {
            // Ends the stream if the server stops before reporting a port, so the caller never waits forever.
            defer { continuation.finish() }
            try await run { host, port in continuation.yield((host, port)) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let (host, port) = await iterator.next() else {
            try await task.value
            throw StartError()
        }
        return Running(endpoint: "http://\(host):\(port)", port: port, store: store, task: task)
    }

    struct StartError: Error, CustomStringConvertible {
        var description: String { "the sandbox server stopped before it was listening" }
    }
}
