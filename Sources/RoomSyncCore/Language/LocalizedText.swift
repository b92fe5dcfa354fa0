/// A message kept as its key and values and rendered in the language of whoever prints it. Errors and diagnostics
/// hold one: they are often made where no language is known (manifests are read on threads of their own, outside
/// the command's task) and printed in the command's task, which knows it.
public struct LocalizedText: Sendable, Hashable, CustomStringConvertible {
    public var key: MessageKey
    public var values: [String: String]
    /// Values that are texts of the catalogue themselves (a manifest error's "found a mapping", a YAML error inside
    /// "first defined at"), rendered in the printer's language too rather than frozen in the language of the
    /// thread that made the text.
    public var keyedValues: [String: LocalizedText]

    public init(_ key: MessageKey, _ values: [String: String] = [:], keyed keyedValues: [String: LocalizedText] = [:]) {
        self.key = key
        self.values = values
        self.keyedValues = keyedValues
    }

    public func rendered(in language: Language = Language.current) -> String {
        guard !keyedValues.isEmpty else { return Catalogue.text(key, values: values, in: language) }
        var all = values
        for (name, text) in keyedValues { all[name] = text.rendered(in: language) }
        return Catalogue.text(key, values: all, in: language)
    }

    public var description: String { rendered() }
}
