import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RoomSyncCore

/// WeCom's meeting-room API over AsyncHTTPClient, against real WeCom or the served sandbox.
///
/// It owns the access token (fetched with `gettoken`, cached until shortly before it expires, refreshed once on
/// 40014/42001 with one refresh shared by concurrent calls), retries what is safe to retry (-1, 45033, connection
/// errors, HTTP 5xx) with exponential backoff and jitter, waits out 45009, and keeps each API under
/// `maxCallsPerMinutePerAPI`. An `add` whose answer was lost is never resent: it throws `outcomeUnknown`.
///
/// The corp secret and access tokens never appear in errors, events or logs; URLs are logged with
/// `access_token=REDACTED`. Call `shutdown()` when done.
public final class WeComClient: MeetingRoomAPI {
    /// Where to connect and how patiently.
    public struct Configuration: Sendable {
        /// Base URL, without a trailing path.
        public var endpoint: String
        public var corpID: String
        public var corpSecret: String
        /// The longest one HTTP request may take, connection included.
        public var requestTimeout: Duration
        /// Calls each API may make per `rateLimitWindow`; 9000 stays under WeCom's 10,000 per minute per API.
        public var maxCallsPerMinutePerAPI: Int
        /// The window `maxCallsPerMinutePerAPI` counts over: a minute, except in tests.
        public var rateLimitWindow: Duration
        public var retry: RetryPolicy
        /// Told about retries, rate-limit waits and token refreshes (for progress output and tests).
        public var onEvent: (@Sendable (Event) -> Void)?
        /// Debug logs of every request, with the token redacted.
        public var logger: Logger

        public init(
            endpoint: String = "https://qyapi.weixin.qq.com", corpID: String, corpSecret: String,
            requestTimeout: Duration = .seconds(30), maxCallsPerMinutePerAPI: Int = 9000,
            rateLimitWindow: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(),
            onEvent: (@Sendable (Event) -> Void)? = nil, logger: Logger = Logger(label: "roomsync.wecom")
        ) {
            self.endpoint = endpoint
            self.corpID = corpID
            self.corpSecret = corpSecret
            self.requestTimeout = requestTimeout
            self.maxCallsPerMinutePerAPI = maxCallsPerMinutePerAPI
            self.rateLimitWindow = rateLimitWindow
            self.retry = retry
            self.onEvent = onEvent
            self.logger = logger
        }
    }

    /// How often and how long to retry.
    public struct RetryPolicy: Sendable {
        /// Attempts per call for busy errcodes, connection errors and 5xx (the first attempt included).
        public var maxAttempts: Int
        /// The first backoff; each later one doubles, up to `maxDelay`, with jitter.
        public var baseDelay: Duration
        public var maxDelay: Duration
        /// How long a call keeps waiting out 45009 before giving up.
        public var maxRateLimitWait: Duration

        public init(
            maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(8),
            maxRateLimitWait: Duration = .seconds(120)
        ) {
            self.maxAttempts = max(1, maxAttempts)
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.maxRateLimitWait = maxRateLimitWait
        }
    }

    /// Something the client did on its own; never contains a secret or token.
    public enum Event: Sendable, Hashable, CustomStringConvertible {
        /// Attempt `attempt` (2 or more) of `operation` is about to be made after `reason`.
        case retrying(operation: String, attempt: Int, reason: String)
        /// WeCom or the client's own limiter said to slow down; waiting `seconds` before going on.
        case waitingForRateLimit(operation: String, seconds: Double)
        /// A new access token was fetched.
        case tokenRefreshed

        public var description: String {
            switch self {
            case .retrying(let operation, let attempt, let reason): "\(operation): retrying (attempt \(attempt)): \(reason)"
            case .waitingForRateLimit(let operation, let seconds):
                "\(operation): rate limited, waiting \(String(format: "%.2f", seconds))s"
            case .tokenRefreshed: "access token refreshed"
            }
        }
    }

    let configuration: Configuration
    let http: HTTPClient
    let tokens: TokenCache
    let limiter: RateLimiter
    /// Base URL without a trailing slash.
    let base: String

    public var targetDescription: String { configuration.endpoint }

    public init(configuration: Configuration) {
        self.configuration = configuration
        var base = configuration.endpoint
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        var httpConfiguration = HTTPClient.Configuration()
        // WeCom never redirects an API call; a redirect is a login page or a proxy, reported as a bad response.
        httpConfiguration.redirectConfiguration = .disallow
        // A refused connection is retried by AsyncHTTPClient until the connect timeout, so keep it no longer than
        // the request timeout.
        httpConfiguration.timeout = .init(
            connect: min(.seconds(10), configuration.requestTimeout).timeAmount,
            read: configuration.requestTimeout.timeAmount
        )
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        tokens = TokenCache()
        limiter = RateLimiter(
            maxCalls: configuration.maxCallsPerMinutePerAPI, window: configuration.rateLimitWindow
        )
    }

    /// Closes the HTTP client's connections. Must be called once, before the client is released.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    public func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int {
        let operation = "oa/meetingroom/add"
        let data = try await call(operation, body: request, resendable: false)
        struct Answer: Decodable { var meetingroom_id: Int }
        return try decode(Answer.self, data, operation: operation).meetingroom_id
    }

    public func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] {
        let operation = "oa/meetingroom/list"
        let data = try await call(operation, body: request, resendable: true)
        // The answer holds every room: read it straight into the model, and leave anything unusual to
        // JSONDecoder, whose errors name the field.
        let fast = try? JSONReader.read(LenientJSON.removingTrailingCommas(data)) { reader in
            var rooms: [MeetingRoom] = []
            try reader.readObject { key, reader in
                guard key == "meetingroom_list" else { return try reader.skipValue() }
                rooms = []
                if try reader.readNull() { return }
                try reader.readArray { rooms.append(try MeetingRoom(reading: &$0)) }
            }
            return rooms
        }
        if let fast { return fast }
        struct Answer: Decodable { var meetingroom_list: [MeetingRoom]? }
        return try decode(Answer.self, data, operation: operation).meetingroom_list ?? []
    }

    public func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws {
        _ = try await call("oa/meetingroom/edit", body: request, resendable: true)
    }

    public func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws {
        _ = try await call("oa/meetingroom/del", body: request, resendable: true)
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: LenientJSON.removingTrailingCommas(data))
        } catch {
            throw MeetingRoomAPIError.badResponse(
                operation: operation, message: "the answer does not have the fields WeCom documents (\(Self.describe(error)))"
            )
        }
    }

    func emit(_ event: Event) {
        configuration.onEvent?(event)
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
