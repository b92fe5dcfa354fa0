import Foundation
import RoomSyncCore
import Synchronization
import WeComAPI

/// What the client does on its own, told on stderr: waiting for a rate-limit window always (a run that pauses
/// should say why) — on apply's live line when there is one, otherwise as a note at most once a second so
/// concurrent workers do not repeat it; retries and token refreshes with `--verbose`.
enum ClientEventPrinter {
    private static let lastWaitingNote = Mutex<ContinuousClock.Instant?>(nil)

    /// `liveLine`: the progress of the command's apply, which shows a wait while it is running.
    static func print(_ event: WeComClient.Event, verbose: Bool, liveLine: ConsoleApplyReporter? = nil) {
        switch event {
        case .waitingForRateLimit(_, let seconds):
            if let liveLine, liveLine.waitingForRateLimit(seconds: seconds) {
                return
            }
            let due = lastWaitingNote.withLock { last in
                let now = ContinuousClock.now
                guard verbose || last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
                last = now
                return true
            }
            if due { Console.err(Catalogue.text(.noteLine, ["text": text(event)])) }
        case .stillWaiting:
            // Silence is what makes a dropped connection look like a hang: always said.
            Console.err(Catalogue.text(.noteLine, ["text": text(event)]))
        case .retrying, .tokenRefreshed:
            if verbose { Console.err(Catalogue.text(.noteLine, ["text": text(event)])) }
        }
    }

    /// The event as a person reads it, in the command's language (the client's own description is English).
    static func text(_ event: WeComClient.Event) -> String {
        switch event {
        case .retrying(let operation, let attempt, let reason):
            Catalogue.text(.eventRetrying, ["operation": operation, "attempt": attempt, "reason": reason])
        case .waitingForRateLimit(let operation, let seconds):
            Catalogue.text(.eventRateLimited, ["operation": operation, "seconds": String(format: "%.2f", seconds)])
        case .tokenRefreshed:
            Catalogue.text(.eventTokenRefreshed)
        case .stillWaiting(let operation, let attempt, let last):
            Catalogue.text(.eventStillWaiting, ["operation": operation, "attempt": attempt, "last": last])
        }
    }
}
