import WeComAPI

/// What the client does on its own, told on stderr: waiting for a rate-limit window always (a run that pauses
/// should say why), retries and token refreshes with `--verbose`.
enum ClientEventPrinter {
    static func print(_ event: WeComClient.Event, verbose: Bool) {
        switch event {
        case .waitingForRateLimit:
            Console.err("note: \(event)")
        case .retrying, .tokenRefreshed:
            if verbose { Console.err("note: \(event)") }
        }
    }
}
