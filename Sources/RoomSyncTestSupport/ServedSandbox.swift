import Foundation
import Logging
import RoomSyncCore
import RoomSyncSandbox
import Synchronization
import WeComAPI

/// A sandbox served in process on a loopback port, for one test.
public struct ServedSandbox: Sendable {
    /// `http://127.0.0.1:PORT`.
    public let endpoint: String
    public let port: Int
    /// The store behind the server: edit rooms out of band, expire tokens, read counters.
    public let store: SandboxStore
    public let options: SandboxServer.Options

    /// A client configuration for this sandbox with its credentials and test-sized retry delays.
    public func clientConfiguration(
        retry: WeComClient.RetryPolicy = .init(
            maxAttempts: 5, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50), maxRateLimitWait: .seconds(10)
        ),
        onEvent: (@Sendable (WeComClient.Event) -> Void)? = nil,
        logger: Logger = Logger(label: "roomsync.test.wecom")
    ) -> WeComClient.Configuration {
        WeComClient.Configuration(
            endpoint: endpoint, corpID: options.corpID, corpSecret: options.corpSecret,
            // 30 s, not 10: at load 19 a first gettoken took over 10 s, was retried, and tests that count calls
            // (or allow one call an hour) failed. A test of timeouts sets its own.
            requestTimeout: .seconds(30), retry: retry, onEvent: onEvent, logger: logger
        )
    }
}

/// Starts a `SandboxServer` on 127.0.0.1 with a port the system picks, runs `body`, and stops the server on every
/// path (return, throw, cancellation). `options.host` and `options.port` are ignored: tests only ever listen on
/// loopback.
public func withServedSandbox<T>(
    _ options: SandboxServer.Options = .init(), _ body: (ServedSandbox) async throws -> T
) async throws -> T {
    var options = options
    options.host = "127.0.0.1"
    options.port = 0
    var logger = Logger(label: "roomsync.test.sandbox")
    // Stopping by cancellation makes Hummingbird log each open keep-alive connection as an error; that is
    // expected here and would bury real failures in test output.
    logger.logLevel = .critical
    // On a thread of its own: the threads every task shares are the other tests' too, and a test computing for
    // seconds on them left calls unanswered for as long (`ServedSandboxThreadTests`).
    let executor = ThreadExecutor(label: "served sandbox")
    defer { withExtendedLifetime(executor) {} }
    return try await SandboxServer(options: options, logger: logger).withRunning(on: executor) { running in
        try await body(ServedSandbox(endpoint: running.endpoint, port: running.port, store: running.store, options: options))
    }
}

/// `WeComClient.withClient`, under the name the tests have always used.
public func withWeComClient<T>(
    _ configuration: WeComClient.Configuration, _ body: (WeComClient) async throws -> T
) async throws -> T {
    try await WeComClient.withClient(configuration, body)
}

/// Collects values from concurrent callbacks (client events, log lines) for a test to inspect afterwards.
public final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    public init() {}

    public func append(_ value: Value) {
        storage.withLock { $0.append(value) }
    }

    public var values: [Value] {
        storage.withLock { $0 }
    }
}

/// A `LogHandler` that writes every message, with its metadata, into a `Recorder`.
public struct RecordingLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .trace
    private let recorder: Recorder<String>

    public init(recorder: Recorder<String>) {
        self.recorder = recorder
    }

    public func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).merging(self.metadata) { event, _ in event }
        recorder.append("\(event.level) \(event.message) \(metadata)")
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// Runs every job it is given on one thread of its own (a serial dispatch queue, which dispatch gives a thread even
/// when every shared one is busy), for tasks that must not wait for the threads other work occupies.
public final class ThreadExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // `self` held by the block, not only by whoever holds the preference: a job may still be queued when the
        // last task preferring this executor lets it go.
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
