import ArgumentParser
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

/// Everything `apply` shows: its notes, the plan, the confirmation prompt, the progress and the summary. The one
/// place apply's words are printed.
struct ApplyConsole: ApplyOutput, PlanConfirmation {
    let palette: Palette
    let autoApprove: Bool
    let progress: ConsoleApplyReporter

    init(palette: Palette, autoApprove: Bool) {
        self.palette = palette
        self.autoApprove = autoApprove
        progress = ConsoleApplyReporter(interactive: Console.stdoutIsTerminal, palette: palette)
    }

    func note(_ message: String) {
        Console.err(Catalogue.text(.noteLine, ["text": message]))
    }

    func show(_ plan: Plan) {
        Console.out(PlanRenderer.render(plan, format: .text, palette: palette))
    }

    func confirm(_ plan: Plan) async throws -> Bool {
        guard !autoApprove else { return true }
        guard Console.stdinIsTerminal else {
            throw RoomSyncError(.applyNeedsConfirmation)
        }
        Console.out(Catalogue.text(.applyConfirm))
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
    }

    /// Prints how the apply ended (the summary; for failures, their causes and what to do) and returns the
    /// `--notify` message for it.
    func report(_ outcome: ApplyOutcome, target: String) -> String {
        guard let result = outcome.result else {
            return NotificationMessage.apply(succeeded: [:], failures: [], notStarted: 0, target: target)
        }
        progress.finish()
        Console.out(PlanRenderer.applySummary(result))
        if !result.isSuccess {
            Console.printDiagnostics(
                failureLines(result.failures)
                    + [.error(at: nil, LocalizedText(.applyStopped, ["count": String(result.failures.count), "state": outcome.stateName]))])
        }
        return NotificationMessage.apply(
            succeeded: result.succeeded, failures: result.failures.map { ($0.key, $0.action.rawValue, $0.message) },
            notStarted: result.skipped, target: target)
    }

    /// One line per cause: operations in flight that failed for one reason (a full disk fails every state
    /// write) are named together after it, in the order they failed.
    private func failureLines(_ failures: [ApplyResult.Failure]) -> [Diagnostic] {
        var order: [RoomSyncError] = []
        var byCause: [RoomSyncError: [ApplyResult.Failure]] = [:]
        for failure in failures {
            if byCause[failure.error] == nil { order.append(failure.error) }
            byCause[failure.error, default: []].append(failure)
        }
        return order.map { cause in
            let failed = byCause[cause]!
            let reason = cause.message
            guard failed.count > 1 else {
                return .error(
                    at: cause.location,
                    LocalizedText(.operationFailed, ["action": failed[0].action.rawValue, "key": failed[0].key, "reason": reason]))
            }
            let names = failed.map { Catalogue.text(.operationNamed, ["action": $0.action.rawValue, "key": $0.key]) }
            return .error(
                at: cause.location,
                LocalizedText(.operationsFailed, ["reason": reason, "count": String(failed.count), "operations": names.joined(separator: ", ")]))
        }
    }
}
