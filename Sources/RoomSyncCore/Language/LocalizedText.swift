/// A message kept as its key and values and rendered in the language of whoever prints it. Errors and diagnostics
/// hold one: they are often made where no language is known (manifests are read on threads of their own, outside
/// the command's task) and printed in the command's task, which knows it.
public struct LocalizedText: Sendable, Hashable, CustomStringConvertible {
    public var key: MessageKey
    public var values: [String: String]

    public init(_ key: MessageKey, _ values: [String: String] = [:]) {
        self.key = key
        self.values = values
    }

    public func rendered(in language: Language = Language.current) -> String {
        Catalogue.text(key, values: values, in: language)
    }

    public var description: String { rendered() }
}
