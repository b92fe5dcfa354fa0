import Synchronization

/// `body`'s result, or `nil` when `limit` passes first. Raced rather than waited for: a database driver's
/// connect does not always heed cancellation, and doctor reports and exits instead of waiting on it.
func withTimeLimit<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T? {
    let race = Race<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let timer = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            race.finish(.success(nil))
        }
        Task {
            defer { timer.cancel() }
            do {
                race.finish(.success(try await body()))
            } catch {
                race.finish(.failure(error))
            }
        }
    }
}

/// The first of a body and a timer to finish resumes the continuation; the other finds it taken.
final class Race<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T?, any Error>?>(nil)

    func start(_ continuation: CheckedContinuation<T?, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func finish(_ result: Result<T?, any Error>) {
        let first = continuation.withLock { slot -> CheckedContinuation<T?, any Error>? in
            defer { slot = nil }
            return slot
        }
        first?.resume(with: result)
    }
}
