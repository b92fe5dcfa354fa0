/// A failure of the engine that ends the command with one clear message and exit 1.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// For a plan a guard refused, the rooms it would have deleted or re-added: each output format lists them.
    public var refusal: MassChangeRefusal?

    public init(_ message: String) {
        self.message = message
    }

    public init(refusing refusal: MassChangeRefusal) {
        self.message = refusal.message
        self.refusal = refusal
    }

    public var description: String { message }
}
