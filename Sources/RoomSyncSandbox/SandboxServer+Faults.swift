import Foundation
import RoomSyncCore

/// The server's misbehaviour: seeded fault and drop draws, and per-API fixed-window rate limits. An actor, so
/// concurrent requests draw from one deterministic sequence.
actor FaultInjector {
    struct Draw {
        /// Answer with this errcode and do not apply the call.
        var fault: Int?
        /// Apply the call, then close the connection with no answer.
        var drop: Bool
    }

    private let faultRate: Double
    private let faultErrcodes: [Int]
    private let dropRate: Double
    private let rateLimits: [SandboxServer.RateLimit]
    private let maxConcurrent: Int?
    private var random: SplitMix64
    /// Per API, one fixed window per rate limit (in the order of `rateLimits`, shortest first).
    private var windows: [String: [(start: Date, count: Int)]] = [:]
    private var inFlight = 0

    init(options: SandboxServer.Options) {
        faultRate = options.faultRate
        faultErrcodes = options.faultErrcodes.isEmpty ? [WeComErrcode.busy] : options.faultErrcodes
        dropRate = options.dropRate
        rateLimits = options.rateLimits.sorted { $0.seconds < $1.seconds }
        maxConcurrent = options.maxConcurrent
        random = SplitMix64(seed: options.seed ?? UInt64.random(in: .min ... .max))
    }

    func draw() -> Draw {
        if faultRate > 0, random.nextUnit() < faultRate {
            return Draw(fault: faultErrcodes[Int(random.next() % UInt64(faultErrcodes.count))], drop: false)
        }
        return Draw(fault: nil, drop: dropRate > 0 && random.nextUnit() < dropRate)
    }

    /// 45009 when `api` has used up its calls in one of its windows; each window starts with its first call and
    /// counts the calls it let through. With two windows, hitting the longer one says so in the errmsg
    /// (`… (long window)`), standing for WeCom's hourly limit: a client cannot wait that out call by call.
    func rateLimited(_ api: String, now: Date = Date()) -> SandboxStore.SandboxError? {
        guard !rateLimits.isEmpty else { return nil }
        var current = windows[api] ?? Array(repeating: (start: now, count: 0), count: rateLimits.count)
        for (index, limit) in rateLimits.enumerated() where now.timeIntervalSince(current[index].start) >= limit.seconds {
            current[index] = (start: now, count: 0)
        }
        defer { windows[api] = current }
        // The longest full window is the one that keeps the API closed the longest: name that one.
        if let full = rateLimits.indices.last(where: { current[$0].count >= rateLimits[$0].calls }) {
            let limit = rateLimits[full]
            let long = rateLimits.count > 1 && full == rateLimits.count - 1
            return SandboxStore.SandboxError(
                errcode: WeComErrcode.rateLimited,
                errmsg: "api freq out of limit: \(limit.calls) calls per \(Self.seconds(limit.seconds))s for \(api)"
                    + (long ? " (long window)" : "")
            )
        }
        for index in current.indices { current[index].count += 1 }
        return nil
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Takes a slot for a meeting-room call; `false` when `maxConcurrent` calls are already in flight (the call is
    /// answered 45033 and must not call `leave`).
    func enter() -> Bool {
        if let maxConcurrent, inFlight >= maxConcurrent { return false }
        inFlight += 1
        return true
    }

    func leave() {
        inFlight -= 1
    }
}
