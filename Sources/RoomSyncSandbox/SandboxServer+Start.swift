import Foundation
import ServiceLifecycle

extension SandboxServer {
    /// A server started in the background by `SandboxServer.start()`. Call `stop()` when done; it returns once
    /// the socket is closed.
    public final class Running: Sendable {
        /// The address the server answers on, for example `http://127.0.0.1:49152`.
        public let endpoint: String
        public let port: Int
        /// The store behind the server: edit rooms out of band, expire tokens, read counters.
        public let store: SandboxStore
        private let group: ServiceGroup
        private let task: Task<Void, any Error>

        init(endpoint: String, port: Int, store: SandboxStore, group: ServiceGroup, task: Task<Void, any Error>) {
            self.endpoint = endpoint
            self.port = port
            self.store = store
            self.group = group
            self.task = task
        }

        /// Stops serving and waits for the server to finish: gracefully, so every connection the server accepted is
        /// served and closed. Cancelling the server's task instead could leave a connection accepted but not yet
        /// handed to the server, and NIO traps on such a channel's writer (`Deinited NIOAsyncWriter without
        /// calling finish()`, swift-nio#3481), which ended a whole test run under load. A connection that is never
        /// finished (a client holding one open mid-request) gets 10 s, then the task is cancelled.
        public func stop() async {
            await group.triggerGracefulShutdown()
            let task = self.task
            let deadline = Task {
                try await Task.sleep(for: .seconds(10))
                task.cancel()
            }
            _ = try? await task.value
            deadline.cancel()
        }
    }

    /// Starts serving, runs `body` with the running server, and stops it on every path (return, throw,
    /// cancellation): the scoped way to serve, as `HTTPClient.withHTTPClient` is the scoped way to connect.
    /// `executor`, when given, runs the server's tasks (see `start(on:)`).
    public func withRunning<T>(on executor: (any TaskExecutor)? = nil, _ body: (Running) async throws -> T) async throws -> T {
        let running = try await start(on: executor)
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
    ///
    /// With `executor`, the server's tasks (each connection's, each request's, the store's) run on it rather than on
    /// the threads every task of the process shares: a process that also computes for seconds on those (a test
    /// run) would otherwise leave calls unanswered meanwhile.
    public func start(on executor: (any TaskExecutor)? = nil) async throws -> Running {
        let (ports, continuation) = AsyncStream<(String, Int)>.makeStream()
        let listening = ListeningFlag()
        let group = serviceGroup(listening: listening) { host, port in continuation.yield((host, port)) }
        let task = Task(executorPreference: executor) {
            // Ends the stream if the server stops before reporting a port, so the caller never waits forever.
            defer { continuation.finish() }
            try await namingBindErrors(listening) { try await group.run() }
        }
        var iterator = ports.makeAsyncIterator()
        guard let (host, port) = await iterator.next() else {
            try await task.value
            throw StartError()
        }
        return Running(endpoint: "http://\(host):\(port)", port: port, store: store, group: group, task: task)
    }

    struct StartError: Error, CustomStringConvertible {
        var description: String { "the sandbox server stopped before it was listening" }
    }
}
