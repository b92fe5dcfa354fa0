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
    private let rateLimit: SandboxServer.RateLimit?
    private var random: SplitMix64
    private var windows: [String: (start: Date, count: Int)] = [:]

    init(options: SandboxServer.Options) {
        faultRate = options.faultRate
        faultErrcodes = options.faultErrcodes.isEmpty ? [WeComErrcode.busy] : options.faultErrcodes
        dropRate = options.dropRate
        rateLimit = options.rateLimit
        random = SplitMix64(seed: options.seed ?? UInt64.random(in: .min ... .max))
    }

    func draw() -> Draw {
        if faultRate > 0, random.nextUnit() < faultRate {
            return Draw(fault: faultErrcodes[Int(random.next() % UInt64(faultErrcodes.count))], drop: false)
        }
        return Draw(fault: nil, drop: dropRate > 0 && random.nextUnit() < dropRate)
    }

    /// 45009 when `api` has used up its calls in the current window; the window starts with its first call.
    func rateLimited(_ api: String, now: Date = Date()) -> SandboxStore.SandboxError? {
        guard let rateLimit else { return nil }
        var window = windows[api] ?? (start: now, count: 0)
        if now.timeIntervalSince(window.start) >= rateLimit.seconds { window = (start: now, count: 0) }
        window.count += 1
        windows[api] = window
        guard window.count > rateLimit.calls else { return nil }
        return SandboxStore.SandboxError(
            errcode: WeComErrcode.rateLimited,
            errmsg: "api freq out of limit: \(rateLimit.calls) calls per \(rateLimit.seconds)s for \(api)"
        )
    }
}

/// A small seedable generator, so `--seed` replays the same faults.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
