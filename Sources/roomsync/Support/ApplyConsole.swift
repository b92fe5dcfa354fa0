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
            throw EngineError("apply needs confirmation but stdin is not a terminal; review the plan and pass --auto-approve")
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
        Console.out(summary(result))
        if !result.isSuccess {
            for line in failureLines(result.failures) { Console.err(line) }
            Console.err("error: apply stopped after \(result.failures.count) failure(s); what succeeded is saved in \(outcome.stateName). Fix the cause and run apply again.")
        }
        return NotificationMessage.apply(
            succeeded: result.succeeded, failures: result.failures.map { ($0.key, $0.action.rawValue, $0.message) },
            notStarted: result.skipped, target: target)
    }

    /// One line per cause: operations in flight that failed for one reason (a full disk fails every state
    /// write) are named together after it, in the order they failed.
    private func failureLines(_ failures: [ApplyResult.Failure]) -> [String] {
        var order: [String] = []
        var byMessage: [String: [ApplyResult.Failure]] = [:]
        for failure in failures {
            if byMessage[failure.message] == nil { order.append(failure.message) }
            byMessage[failure.message, default: []].append(failure)
        }
        return order.map { message in
            let failed = byMessage[message]!
            guard failed.count > 1 else {
                return "error: \(failed[0].action.rawValue) '\(failed[0].key)' failed: \(message)"
            }
            let names = failed.map { "\($0.action.rawValue) '\($0.key)'" }.joined(separator: ", ")
            return "error: \(message) (\(failed.count) operations failed: \(names))"
        }
    }

    private func summary(_ result: ApplyResult) -> String {
        var counts = PlanRenderer.appliedCounts(result.succeeded)
        let separator = Catalogue.text(.listSeparator)
        if !result.failures.isEmpty { counts += separator + Catalogue.text(.countFailed, ["count": result.failures.count]) }
        if result.skipped > 0 { counts += separator + Catalogue.text(.countNotStarted, ["count": result.skipped]) }
        return Catalogue.text(result.isSuccess ? .applyComplete : .applyIncomplete, ["counts": counts]) + "\n"
    }
}
