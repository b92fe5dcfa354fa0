import RoomSyncCore

/// How one operation of an apply ended.
public enum OperationOutcome: Sendable, Hashable {
    case succeeded(meetingroomID: Int?)
    /// Why, as an error: two operations that failed for one cause have equal errors (code and values).
    case failed(RoomSyncError)
}

/// Receives apply's progress; the CLI prints it, tests collect it.
public protocol ApplyReporter: Sendable {
    func applyStarted(total: Int)
    func operationFinished(_ change: PlannedChange, outcome: OperationOutcome, duration: Duration)
    func note(_ message: String)
}

/// Reports nothing.
public struct SilentApplyReporter: ApplyReporter {
    public init() {}
    public func applyStarted(total: Int) {}
    public func operationFinished(_ change: PlannedChange, outcome: OperationOutcome, duration: Duration) {}
    public func note(_ message: String) {}
}
