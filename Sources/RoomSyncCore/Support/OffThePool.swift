import Foundation

/// Runs blocking or long CPU-bound `work` (parsing manifests, reading a state, waiting for a process) on a thread
/// of its own, neither on the cooperative pool Swift's tasks share nor on Dispatch's global queues.
///
/// Both pools have about as many threads as cores. On two cores, reading the manifests and the state on them left
/// no thread to send the `list` request, which went out only once one of them was done (35-50 ms into a plan of
/// 10,000 rooms), so the plan waited for its slowest answer last. A thread of its own is scheduled by the kernel
/// beside the others and never holds up a task.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        // The manifests of 100,000 rooms are decoded recursively a few levels deep; 8 MB like the main thread.
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// `offThePool` for work that cannot fail.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
