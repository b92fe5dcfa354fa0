import Foundation
import RoomSyncCore
import RoomSyncEngine
import Synchronization

/// Apply's progress. On a terminal: one live line (done/total, rate, ETA, failures, waiting for a rate limit), redrawn
/// in place. Otherwise: one line per operation with its outcome and duration, which reads well in CI logs.
final class ConsoleApplyReporter: ApplyReporter {
    private struct Progress {
        var total = 0
        var done = 0
        var failed = 0
        var started = ContinuousClock.now
        /// Until when the client said it is waiting for a rate-limit window.
        var waitingUntil: ContinuousClock.Instant?
        /// Failure messages already printed: one cause shared by every operation in flight is said once.
        var failures: Set<RoomSyncError> = []
        /// Between `applyStarted` and `finish`: the client's rate-limit waits show on the live line.
        var running = false
    }

    private let interactive: Bool
    private let palette: Palette
    private let progress = Mutex(Progress())

    init(interactive: Bool, palette: Palette) {
        self.interactive = interactive
        self.palette = palette
    }

    func applyStarted(total: Int) {
        progress.withLock { $0 = Progress(total: total, running: true) }
    }

    func operationFinished(_ change: PlannedChange, outcome: OperationOutcome, duration: Duration) {
        let line: String = progress.withLock { progress in
            progress.done += 1
            if case .failed = outcome { progress.failed += 1 }
            if interactive { return liveLine(progress) }
            let milliseconds = Int((duration.seconds * 1000).rounded())
            let counter = "[\(progress.done)/\(progress.total)]"
            switch outcome {
            case .succeeded(let id):
                return Catalogue.text(.progressSucceeded, [
                    "action": PlanRenderer.pastTense(change.action), "room": PlanRenderer.roomName(change.key, id: id),
                    "ms": milliseconds, "counter": counter,
                ]) + "\n"
            case .failed(let error):
                let said = progress.failures.insert(error).inserted ? error.message : Catalogue.text(.progressSameError)
                return palette.red(Catalogue.text(.progressFailed, [
                    "action": PlanRenderer.actionName(change.action),
                    "room": PlanRenderer.roomName(change.key, id: change.meetingroomID), "ms": milliseconds, "message": said,
                ])) + " \(counter)\n"
            }
        }
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    /// Returns whether the live line showed it (otherwise the caller prints a note).
    func waitingForRateLimit(seconds: Double) -> Bool {
        guard interactive else { return false }
        let line: String? = progress.withLock { progress in
            guard progress.running else { return nil }
            progress.waitingUntil = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            return liveLine(progress)
        }
        guard let line else { return false }
        FileHandle.standardOutput.write(Data(line.utf8))
        return true
    }

    private func liveLine(_ progress: Progress) -> String {
        let now = ContinuousClock.now
        let state = ApplyProgress(
            total: progress.total, done: progress.done, failed: progress.failed, elapsed: now - progress.started,
            waitingForRateLimit: progress.waitingUntil.map { $0 > now } ?? false)
        return "\r\u{1B}[2K" + state.line(palette: palette)
    }

    func note(_ message: String) {
        let prefix = interactive ? "\r\u{1B}[2K" : ""
        FileHandle.standardError.write(Data((prefix + Catalogue.text(.noteLine, ["text": message]) + "\n").utf8))
    }

    /// Ends the live line so the summary starts on its own line.
    func finish() {
        progress.withLock { $0.running = false }
        if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }
}
