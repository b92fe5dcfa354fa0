import Synchronization

/// A FIFO mutex for async code: one transaction at a time on a connection, without holding a thread.
final class AsyncGate: Sendable {
    private struct Waiters {
        var busy = false
        var queue: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(Waiters())

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        do {
            let value = try await body()
            leave()
            return value
        } catch {
            leave()
            throw error
        }
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { waiters -> Bool in
                if waiters.busy {
                    waiters.queue.append(continuation)
                    return false
                }
                waiters.busy = true
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { waiters -> CheckedContinuation<Void, Never>? in
            if waiters.queue.isEmpty {
                waiters.busy = false
                return nil
            }
            return waiters.queue.removeFirst()
        }
        next?.resume()
    }
}
