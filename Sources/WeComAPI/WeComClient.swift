import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import RoomSyncCore

/// WeCom's meeting-room API over AsyncHTTPClient, against real WeCom or the served sandbox.
///
/// It owns the access token (fetched with `gettoken`, cached until shortly before it expires, refreshed once on
/// 40014/42001 with one refresh shared by concurrent calls), retries what is safe to retry (-1, 45033, connection
/// errors, HTTP 5xx) with exponential backoff and jitter, waits out 45009 (and stops on WeCom's hourly limit), keeps
/// each API under `maxCallsPerMinutePerAPI`, and adapts how many calls it has in flight (`AdaptiveConcurrency`).
/// Every call has an overall deadline (`timeout`), reports `stillWaiting` while nothing answers, and ends with one
/// line naming the endpoint. A TLS failure is final. An `add` whose answer
/// was lost or timed out is never resent: it throws `outcomeUnknown`. Proxies (`proxy`) and extra CA certificates
/// (`caFile`) go through AsyncHTTPClient's own support. The errcodes that stop a first real run (60020, 48002,
/// 40013, 40001) come back with a message saying what to do.
///
/// The corp secret and access tokens never appear in errors, events or logs; URLs are logged with
/// `access_token=REDACTED`. Call `shutdown()` when done.
public final class WeComClient: MeetingRoomAPI, MeetingRoomBookingAPI {
    /// Where to connect and how patiently.
    public struct Configuration: Sendable {
        /// Base URL, without a trailing path.
        public var endpoint: String
        public var corpID: String
        public var corpSecret: String
        /// The longest one HTTP attempt may wait for its answer, connection included.
        public var requestTimeout: Duration
        /// The overall bound on one call with all its retries (`--timeout`). Time spent waiting out rate limits
        /// (WeCom's 45009 or the client's own limiter) does not count: WeCom is answering then.
        public var timeout: Duration
        /// After this long without an answer a call reports `stillWaiting` (and again each time it passes).
        public var stillWaitingAfter: Duration
        /// The forward proxy to reach the endpoint through; `nil` connects directly.
        public var proxy: ProxySettings?
        /// Extra trusted CA certificates (PEM), for company proxies that re-sign TLS (`--ca-file`, `SSL_CERT_FILE`).
        public var caFile: String?
        /// Calls each API may make per `rateLimitWindow`; 9000 stays under WeCom's 10,000 per minute per API.
        public var maxCallsPerMinutePerAPI: Int
        /// The window `maxCallsPerMinutePerAPI` counts over: a minute, except in tests.
        public var rateLimitWindow: Duration
        /// The most calls in flight at once (`--parallelism` when given). Below it the client finds the number
        /// itself (`AdaptiveConcurrency`), from latency, 45033 and 45009.
        public var maxCallsInFlight: Int
        /// Where that search starts.
        public var initialCallsInFlight: Int
        public var retry: RetryPolicy
        /// Told about retries, rate-limit waits and token refreshes (for progress output and tests).
        public var onEvent: (@Sendable (Event) -> Void)?
        /// Debug logs of every request, with the token redacted.
        public var logger: Logger

        public init(
            endpoint: String = "https://qyapi.weixin.qq.com", corpID: String, corpSecret: String,
            requestTimeout: Duration = .seconds(30), maxCallsPerMinutePerAPI: Int = 9000,
            rateLimitWindow: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(),
            onEvent: (@Sendable (Event) -> Void)? = nil, logger: Logger = Logger(label: "roomsync.wecom"),
            timeout: Duration = .seconds(60), stillWaitingAfter: Duration = .seconds(10), proxy: ProxySettings? = nil,
            caFile: String? = nil, maxCallsInFlight: Int = 64, initialCallsInFlight: Int = 8
        ) {
            self.maxCallsInFlight = max(1, maxCallsInFlight)
            self.initialCallsInFlight = max(1, initialCallsInFlight)
            self.timeout = timeout
            self.stillWaitingAfter = stillWaitingAfter
            self.proxy = proxy
            self.caFile = caFile
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
        /// How long a call keeps waiting out 45009 before concluding it is WeCom's hourly limit and stopping:
        /// past WeCom's minute window, waiting on is waiting for up to an hour.
        public var maxRateLimitWait: Duration

        public init(
            maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(8),
            maxRateLimitWait: Duration = .seconds(65)
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
        /// `operation` has had no answer for `stillWaitingAfter` (or a multiple of it): attempt `attempt` is under
        /// way and the previous one ended with `last` (`timeout`, `connection refused`, …; `none` on the first).
        case stillWaiting(operation: String, attempt: Int, last: String)

        public var description: String {
            switch self {
            case .retrying(let operation, let attempt, let reason): "\(operation): retrying (attempt \(attempt)): \(reason)"
            case .waitingForRateLimit(let operation, let seconds):
                "\(operation): rate limited, waiting \(String(format: "%.2f", seconds))s"
            case .tokenRefreshed: "access token refreshed"
            case .stillWaiting(let operation, let attempt, let last):
                "still waiting for WeCom (attempt \(attempt), last: \(last)): \(operation)"
            }
        }
    }

    let configuration: Configuration
    let http: HTTPClient
    let tokens: TokenCache
    let limiter: RateLimiter
    let concurrency: AdaptiveConcurrency
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
        // A failed connection (refused, or a TLS certificate that is not trusted) is reported at once instead of
        // being retried in silence until the connect timeout: the client's own loop retries what is worth it, under
        // the call's deadline, and stops at once on what is not (TLS).
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        // One connection per call in flight: AsyncHTTPClient's default of 8 per host would cap the adaptive limit.
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.maxCallsInFlight
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            let certificates = (try? NIOSSLCertificate.fromPEMFile(caFile)) ?? []
            tls.additionalTrustRoots = [certificates.isEmpty ? .file(caFile) : .certificates(certificates)]
        }
        httpConfiguration.tlsConfiguration = tls
        if let proxy = configuration.proxy {
            switch proxy.kind {
            case .http:
                let authorization = (proxy.username != nil || proxy.password != nil)
                    ? HTTPClient.Authorization.basic(username: proxy.username ?? "", password: proxy.password ?? "")
                    : nil
                httpConfiguration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
            case .socks5:
                httpConfiguration.proxy = .socksServer(host: proxy.host, port: proxy.port)
            }
        }
        httpConfiguration.timeout = .init(
            connect: min(.seconds(10), configuration.requestTimeout).timeAmount,
            read: configuration.requestTimeout.timeAmount
        )
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        tokens = TokenCache()
        limiter = RateLimiter(
            maxCalls: configuration.maxCallsPerMinutePerAPI, window: configuration.rateLimitWindow
        )
        concurrency = AdaptiveConcurrency(initial: configuration.initialCallsInFlight, cap: configuration.maxCallsInFlight)
    }

    /// Creates a client, runs `body` with it, and shuts it down on every path: the scoped way to use one
    /// (AsyncHTTPClient's `withHTTPClient` shape).
    public static func withClient<T>(
        _ configuration: Configuration, _ body: (WeComClient) async throws -> T
    ) async throws -> T {
        let client = WeComClient(configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Closes the HTTP client's connections. Must be called once, before the client is released. Prefer
    /// `withClient`.
    /// Checks that `path` holds at least one PEM certificate; throws a one-line error naming the file otherwise.
    /// Returns how many it holds.
    @discardableResult
    public static func checkCAFile(_ path: String) throws -> Int {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw MeetingRoomAPIError.transport(operation: "tls", detail: LocalizedText(.wecomCAFileUnreadable, ["path": path]))
        }
        let certificates = (try? NIOSSLCertificate.fromPEMFile(path)) ?? []
        guard !certificates.isEmpty else {
            throw MeetingRoomAPIError.transport(operation: "tls", detail: LocalizedText(.wecomCAFileNoPEM, ["path": path]))
        }
        return certificates.count
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    public func addMeetingRoom(_ request: AddMeetingRoomRequest) async throws -> Int {
        let operation = "oa/meetingroom/add"
        let data = try await call(operation, body: request, resendable: false)
        struct Answer: Decodable { var meetingroom_id: Int }
        return try decode(Answer.self, data, operation: operation).meetingroom_id
    }

    /// Fewer bytes than a listed room takes in the answer, to size the list before reading it.
    static let bytesPerListedRoom = 100

    public func listMeetingRooms(_ request: ListMeetingRoomsRequest) async throws -> [MeetingRoom] {
        let operation = "oa/meetingroom/list"
        let data = try await call(operation, body: request, resendable: true)
        // The answer holds every room: read it straight into the model, and leave anything unusual to
        // JSONDecoder, whose errors name the field. That includes an answer without `meetingroom_list`, or with
        // `null`: it says nothing about the rooms, and read as "no rooms" every managed room would look deleted
        // outside roomsync and be added again (SPEC 7).
        let fast = try? JSONReader.read(data, allowingTrailingCommas: true) { reader -> [MeetingRoom] in
            var listed: [MeetingRoom]?
            try reader.readObject { key, reader in
                guard key == "meetingroom_list" else { return try reader.skipValue() }
                listed = nil
                if try reader.readNull() { return }
                var rooms: [MeetingRoom] = []
                // Sized once from the answer's length (a listed room takes some 200 bytes of it): growing by
                // doubling held the old array beside the new one, 30 MB at 100,000 rooms, at the moment a plan
                // holds the most. Capacity never written is never touched: an overestimate costs address space only.
                rooms.reserveCapacity(data.count / Self.bytesPerListedRoom)
                try reader.readArray { rooms.append(try MeetingRoom(reading: &$0)) }
                listed = rooms
            }
            guard let listed else { throw JSONReader.Unexpected() }
            return listed
        }
        if let fast { return fast }
        // The envelope was read only up to the rooms (`bulkField`): an answer cut short in them is told as one.
        guard (try? JSONSerialization.jsonObject(with: LenientJSON.removingTrailingCommas(data))) != nil else {
            throw MeetingRoomAPIError.badResponse(operation: operation, detail: Self.describeBadBody(data, "application/json"))
        }
        struct Answer: Decodable { var meetingroom_list: [MeetingRoom]? }
        guard let rooms = try decode(Answer.self, data, operation: operation).meetingroom_list else {
            throw MeetingRoomAPIError.badResponse(operation: operation, detail: LocalizedText(.wecomNoRoomList))
        }
        return rooms
    }

    public func editMeetingRoom(_ request: EditMeetingRoomRequest) async throws {
        _ = try await call("oa/meetingroom/edit", body: request, resendable: true)
    }

    public func deleteMeetingRoom(_ request: DeleteMeetingRoomRequest) async throws {
        _ = try await call("oa/meetingroom/del", body: request, resendable: true)
    }

    public func bookingInfo(_ request: BookingInfoRequest) async throws -> [RoomBookings] {
        let operation = "oa/meetingroom/get_booking_info"
        let data = try await call(operation, body: request, resendable: true)
        struct Answer: Decodable { var booking_list: [RoomBookings]? }
        return try decode(Answer.self, data, operation: operation).booking_list ?? []
    }

    /// Not resent once it may have reached WeCom, as `add`: a second `book` could make a second booking.
    public func bookMeetingRoom(_ request: BookMeetingRoomRequest) async throws -> BookMeetingRoomResult {
        let operation = "oa/meetingroom/book"
        let data = try await call(operation, body: request, resendable: false)
        return try decode(BookMeetingRoomResult.self, data, operation: operation)
    }

    public func cancelBooking(_ request: CancelBookingRequest) async throws {
        _ = try await call("oa/meetingroom/cancel_book", body: request, resendable: true)
    }

    public func booking(_ request: BookingByIDRequest) async throws -> Booking {
        let operation = "oa/meetingroom/bookinfo/get"
        let data = try await call(operation, body: request, resendable: true)
        struct Answer: Decodable { var schedule: Booking }
        return try decode(Answer.self, data, operation: operation).schedule
    }

    public func callsInFlightLimit() async -> Int? {
        Int(await concurrency.limit)
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: LenientJSON.removingTrailingCommas(data))
        } catch {
            throw MeetingRoomAPIError.badResponse(
                operation: operation, detail: LocalizedText(.wecomMissingFields, ["reason": Self.describe(error)]))
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
