import Foundation
import Hummingbird
import Logging
import NIOCore
import RoomSyncCore
import ServiceLifecycle
import Synchronization

/// The sandbox served over HTTP with Hummingbird: WeCom's `gettoken`, `oa/meetingroom/{add,list,edit,del}` and the
/// booking API (`get_booking_info`, `book`, `cancel_book`, `bookinfo/get`, SPEC section 10),
/// answered from a `SandboxStore`, with optional latency, faults, dropped responses, rate limits (one or two windows),
/// trusted IPs (60020), forbidden APIs (48002) and a cap on calls in flight (45033) (SPEC section 6). Error answers
/// are worded as WeCom words them: `TEXT, hint: [HINT], from ip: ADDR, more info at …?e=ERRCODE`.
///
/// Like WeCom, every answer is HTTP 200 with `errcode`/`errmsg`. Bodies are read as UTF-8 JSON whatever the
/// Content-Type; unknown fields are ignored; a trailing comma before `}`/`]` is accepted (the seed document's own
/// examples have one). A body that is not JSON at all is answered with errcode 47001, as WeCom does; a body that is
/// JSON but has a wrong or missing field is 40058 naming the field.
public struct SandboxServer: Sendable {
    /// How the server listens and misbehaves.
    public struct Options: Sendable {
        public var host: String
        /// 0 lets the system pick a free port; `run` reports the one it got.
        public var port: Int
        /// `nil` (or `:memory:`) keeps nothing.
        public var dataFile: String?
        public var corpID: String
        public var corpSecret: String
        /// Added before every answer.
        public var latencyMs: Int
        /// Seconds an access token stays valid.
        public var tokenTTL: Int
        /// Probability (0…1) that a meeting-room call is answered with one of `faultErrcodes` and not applied.
        public var faultRate: Double
        public var faultErrcodes: [Int]
        /// Probability (0…1) that a meeting-room call is applied and then the connection closed with no answer.
        public var dropRate: Double
        /// Per API, at most `calls` calls per `seconds` in each window (WeCom has two: a minute and an hour); past
        /// a window's count the API answers 45009 until that window ends. Shortest window first.
        public var rateLimits: [RateLimit]
        /// The single-window form of `rateLimits`: its first window.
        public var rateLimit: RateLimit? {
            get { rateLimits.first }
            set { rateLimits = newValue.map { [$0] } ?? [] }
        }
        /// The addresses meeting-room calls are accepted from (WeCom's 企业可信IP); empty accepts any. Calls from
        /// elsewhere answer 60020 naming the caller's address.
        public var trustedIPs: [CIDR]
        /// Meeting-room APIs (`add`, `list`, `edit`, `del`, `get_booking_info`, `book`, `cancel_book`) the app may not call: they answer 48002, as WeCom does
        /// for an app not added under 会议室 → 可调用接口的应用.
        public var forbiddenAPIs: Set<String>
        /// Meeting-room calls in flight at once beyond this answer 45033; `nil` is unbounded.
        public var maxConcurrent: Int?
        /// Seed for the fault and drop draws; `nil` draws a random one.
        public var seed: UInt64?
        /// Return `range` from `list` (WeCom does only for its meeting-room system app).
        public var showRange: Bool
        /// Where the group-robot webhook appends each message it receives, one JSON line each; `nil` logs nothing.
        public var webhookLog: String?

        public init(
            host: String = "127.0.0.1", port: Int = 0, dataFile: String? = nil, corpID: String = "ww-sandbox",
            corpSecret: String = "sandbox-secret", latencyMs: Int = 0, tokenTTL: Int = 7200, faultRate: Double = 0,
            faultErrcodes: [Int] = [WeComErrcode.busy, WeComErrcode.tooManyInFlight], dropRate: Double = 0,
            rateLimit: RateLimit? = nil, seed: UInt64? = nil, showRange: Bool = false, rateLimits: [RateLimit] = [],
            trustedIPs: [CIDR] = [], forbiddenAPIs: Set<String> = [], maxConcurrent: Int? = nil, webhookLog: String? = nil
        ) {
            self.host = host
            self.port = port
            self.dataFile = dataFile
            self.corpID = corpID
            self.corpSecret = corpSecret
            self.latencyMs = latencyMs
            self.tokenTTL = tokenTTL
            self.faultRate = faultRate
            self.faultErrcodes = faultErrcodes
            self.dropRate = dropRate
            self.rateLimits = (rateLimit.map { [$0] } ?? []) + rateLimits
            self.seed = seed
            self.showRange = showRange
            self.webhookLog = webhookLog
            self.trustedIPs = trustedIPs
            self.forbiddenAPIs = forbiddenAPIs
            self.maxConcurrent = maxConcurrent
        }
    }

    /// `N/Ss`: `calls` calls per `seconds` seconds, per API.
    public struct RateLimit: Sendable, Hashable {
        public var calls: Int
        public var seconds: Double

        public init(calls: Int, seconds: Double) {
            self.calls = calls
            self.seconds = seconds
        }

        /// Parses `100/1s` (the trailing `s` is optional; fractions such as `5/0.5s` are allowed).
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let calls = Int(parts[0]), calls > 0 else { return nil }
            var seconds = Substring(parts[1])
            if seconds.hasSuffix("s") { seconds = seconds.dropLast() }
            guard let value = Double(seconds), value > 0 else { return nil }
            self.init(calls: calls, seconds: value)
        }

        /// Parses `N/Ss[,M/Ts]`: one or two windows, for example WeCom's `10000/60s,150000/3600s`. Returns them
        /// shortest first; `nil` when any part is malformed, there are more than two, or two have the same length.
        public static func parseList(_ text: String) -> [RateLimit]? {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { return nil }
            var limits: [RateLimit] = []
            for part in parts {
                guard let limit = RateLimit(parsing: part.trimmingCharacters(in: .whitespaces)) else { return nil }
                limits.append(limit)
            }
            limits.sort { $0.seconds < $1.seconds }
            if limits.count == 2, limits[0].seconds == limits[1].seconds { return nil }
            return limits
        }
    }

    /// The meeting-room APIs `--forbidden-apis` may name.
    public static let meetingRoomAPIs: [String] = ["add", "list", "edit", "del", "get_booking_info", "book", "cancel_book"]

    /// Every meeting-room path served under `/cgi-bin/oa/meetingroom/`: the room API and the booking API.
    static let servedAPIs: [String] = ["add", "list", "edit", "del", "get_booking_info", "book", "cancel_book", "bookinfo/get"]

    public let options: Options
    /// The store behind the server, for tests that edit rooms out of band or read counters.
    public let store: SandboxStore
    let faults: FaultInjector
    let logger: Logger
    let webhookLog: WebhookLog?

    /// Opens (or creates) the data file; throws a `RoomSyncError` naming it when it cannot be read.
    public init(options: Options, logger: Logger = Logger(label: "roomsync.sandbox")) throws {
        self.options = options
        self.store = try SandboxStore(dataFile: options.dataFile)
        self.faults = FaultInjector(options: options)
        self.logger = logger
        self.webhookLog = options.webhookLog.map(WebhookLog.init(path:))
    }

    /// Serves until the task running it is cancelled. `onListening` gets the host and the actual port once the
    /// socket is bound.
    public func run(onListening: @escaping @Sendable (String, Int) -> Void) async throws {
        let listening = ListeningFlag()
        try await namingBindErrors(listening) { try await makeApplication(onListening: listening.reporting(onListening)).run() }
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully; for `roomsync sandbox serve`.
    public func runUntilSignalled(onListening: @escaping @Sendable (String, Int) -> Void) async throws {
        let listening = ListeningFlag()
        try await namingBindErrors(listening) {
            try await makeApplication(onListening: listening.reporting(onListening)).runService()
        }
    }

    /// A service group serving the sandbox with no signal handling: `Running.stop()` shuts it down gracefully.
    func serviceGroup(listening: ListeningFlag, onListening: @escaping @Sendable (String, Int) -> Void) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: [makeApplication(onListening: listening.reporting(onListening))], gracefulShutdownSignals: [],
                logger: logger))
    }

    /// Runs `serve`; a system error before the socket listens (the port taken, an address not on this machine) is
    /// `cannotListen` naming the address and the system's reason, instead of NIO's `bind(descriptor:ptr:bytes:)`.
    func namingBindErrors(_ listening: ListeningFlag, serve: () async throws -> Void) async throws {
        do {
            try await serve()
        } catch let error as IOError where !listening.isSet {
            throw RoomSyncError(
                .cannotListen, ["host": options.host, "port": options.port, "reason": String(cString: strerror(error.errnoCode))])
        }
    }

    private func makeApplication(
        onListening: @escaping @Sendable (String, Int) -> Void
    ) -> some ApplicationProtocol {
        let router = Router(context: SandboxRequestContext.self)
        let server = self
        router.get("/cgi-bin/gettoken") { request, context in try await server.getToken(request, context) }
        router.post("/cgi-bin/gettoken") { request, context in try await server.getToken(request, context) }
        for api in Self.servedAPIs {
            router.post("/cgi-bin/oa/meetingroom/\(api)") { request, context in
                try await server.meetingRoom(api, request, context)
            }
        }
        router.post("/cgi-bin/webhook/send") { request, context in try await server.webhookSend(request, context) }
        let host = options.host
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: options.port), serverName: "roomsync-sandbox"),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

/// Keeps the connection's channel, so that a dropped response can close it.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Whether the server got as far as listening, told by its `onServerRunning` callback.
final class ListeningFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }

    /// `onListening`, setting the flag first: an error after it is the server's, not the bind's.
    func reporting(_ onListening: @escaping @Sendable (String, Int) -> Void) -> @Sendable (String, Int) -> Void {
        { host, port in
            self.set()
            onListening(host, port)
        }
    }
}
