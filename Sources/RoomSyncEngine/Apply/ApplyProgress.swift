import RoomSyncCore

/// Where an apply stands, as the live line on a terminal shows it: done/total, rate, ETA and failures (SPEC
/// section 5). A value, so the line's text is a pure function of it.
public struct ApplyProgress: Sendable, Hashable {
    public var total: Int
    public var done: Int
    public var failed: Int
    public var elapsed: Duration
    /// Whether the client is waiting for a rate-limit window to end.
    public var waitingForRateLimit: Bool

    public init(total: Int, done: Int, failed: Int, elapsed: Duration, waitingForRateLimit: Bool = false) {
        self.total = total
        self.done = done
        self.failed = failed
        self.elapsed = elapsed
        self.waitingForRateLimit = waitingForRateLimit
    }

    /// Operations finished per second so far.
    public var rate: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(done) / max(0.001, seconds)
    }

    /// Time left at the rate so far; `nil` before the first operation finishes.
    public var eta: Duration? {
        guard done > 0, rate > 0 else { return nil }
        return .milliseconds(Int((Double(max(0, total - done)) / rate * 1000).rounded()))
    }

    /// `[120/3000] 41.2 ops/s, ETA 1m10s, 0 failed` (without the terminal's carriage return and line clearing).
    public func line(palette: Palette = Palette(enabled: false)) -> String {
        let tenths = Int((rate * 10).rounded())
        let eta = done >= total ? Self.clock(.zero) : eta.map(Self.clock) ?? "--"
        var line = Catalogue.text(.progressLine, ["done": done, "total": total, "rate": "\(tenths / 10).\(tenths % 10)", "eta": eta])
        let separator = Catalogue.text(.listSeparator)
        let failures = Catalogue.text(.countFailed, ["count": failed])
        line += separator + (failed > 0 ? palette.red(failures) : failures)
        if waitingForRateLimit { line += separator + palette.yellow(Catalogue.text(.progressWaiting)) }
        return line
    }

    /// `42s`, `3m05s`, `1h02m`: short enough for one line, exact enough for a person.
    public static func clock(_ duration: Duration) -> String {
        let seconds = max(0, Int((Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18).rounded()))
        if seconds < 60 { return Catalogue.text(.clockSeconds, ["seconds": seconds]) }
        if seconds < 3600 { return Catalogue.text(.clockMinutes, ["minutes": seconds / 60, "seconds": pad(seconds % 60)]) }
        return Catalogue.text(.clockHours, ["hours": seconds / 3600, "minutes": pad(seconds % 3600 / 60)])
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
