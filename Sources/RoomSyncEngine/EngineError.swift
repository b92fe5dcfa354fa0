/// A failure of the engine that ends the command with one clear message and exit 1.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
