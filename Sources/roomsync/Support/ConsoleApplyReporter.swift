import Foundation
import RoomSyncEngine
import Synchronization

/// Apply's progress: on a terminal one live line (done/total, rate, failures); otherwise one line per operation
/// with its outcome and duration, which reads well in CI logs.
final class ConsoleApplyReporter: ApplyReporter {
    private struct Progress {
        var total = 0
        var done = 0
        var failed = 0
        var started = ContinuousClock.now
    }

    private let interactive: Bool
    private let palette: Palette
    private let progress = Mutex(Progress())

    init(interactive: Bool, palette: Palette) {
        self.interactive = interactive
        self.palette = palette
    }

    func applyStarted(total: Int) {
        progress.withLock { $0 = Progress(total: total) }
    }

    func operationFinished(_ change: PlannedChange, outcome: OperationOutcome, duration: Duration) {
        let line: String = progress.withLock { progress in
            progress.done += 1
            if case .failed = outcome { progress.failed += 1 }
            if interactive {
                let seconds = max(0.001, Double((ContinuousClock.now - progress.started).components.attoseconds) / 1e18
                    + Double((ContinuousClock.now - progress.started).components.seconds))
                let rate = Double(progress.done) / seconds
                return "\r\u{1B}[2K[\(progress.done)/\(progress.total)] \(String(format: "%.1f", rate)) ops/s, \(progress.failed) failed"
            }
            let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
            let id = change.meetingroomID.map { " (meetingroom_id \($0))" } ?? ""
            switch outcome {
            case .succeeded(let newID):
                let shown = change.action == .add ? newID.map { " (meetingroom_id \($0))" } ?? "" : id
                return "\(PlanRenderer.pastTense(change.action)) \(change.key)\(shown) in \(milliseconds) ms [\(progress.done)/\(progress.total)]\n"
            case .failed(let message):
                return "failed to \(change.action.rawValue) \(change.key)\(id) after \(milliseconds) ms: \(message) [\(progress.done)/\(progress.total)]\n"
            }
        }
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    func note(_ message: String) {
        let prefix = interactive ? "\r\u{1B}[2K" : ""
        FileHandle.standardError.write(Data("\(prefix)note: \(message)\n".utf8))
    }

    /// Ends the live line so the summary starts on its own line.
    func finish() {
        if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }
}
