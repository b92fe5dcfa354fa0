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
            if due { Console.err("note: \(event)") }
        case .stillWaiting:
            // Silence is what makes a dropped connection look like a hang: always said.
            Console.err("note: \(event)")
        case .retrying, .tokenRefreshed:
            if verbose { Console.err("note: \(event)") }
        }
    }
}
