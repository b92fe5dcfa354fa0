import Dispatch
import Synchronization

/// Spreads independent pieces of synchronous work over the cores. The caller's thread takes part and can
/// finish every piece on its own, so this never waits on a pool that is busy elsewhere.
package enum Parallel {
    /// `items.map(transform)`, with the items transformed concurrently; the results keep the order of `items`.
    package static func map<Item: Sendable, Output: Sendable>(_ items: [Item], _ transform: @Sendable (Item) -> Output) -> [Output] {
        guard items.count > 1 else { return items.map(transform) }
        let outputs = Mutex<[Output?]>(Array(repeating: nil, count: items.count))
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            let output = transform(items[index])
            outputs.withLock { $0[index] = output }
        }
        return outputs.withLock { $0.map { $0! } }
    }
}

extension Range<Int> {
    /// Consecutive ranges of at most `size` elements covering this one.
    package func slices(of size: Int) -> [Range<Int>] {
        precondition(size > 0)
        return stride(from: lowerBound, to: upperBound, by: size).map { $0..<Swift.min($0 + size, upperBound) }
    }
}
