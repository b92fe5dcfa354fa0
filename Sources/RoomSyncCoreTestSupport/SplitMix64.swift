import RoomSyncCore

/// Core's seeded generator (the sandbox's faults use it too), for tests whose random cases must be the same on
/// every run.
extension SplitMix64 {
    /// A number in `0..<bound` (`bound` > 0); the modulo bias is irrelevant for tests.
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// One of `values` (not empty).
    public mutating func pick<T>(_ values: [T]) -> T {
        values[below(values.count)]
    }
}
