/// The texts roomsync prints, one catalogue per language, compiled into the binary (no resource folder, so the
/// single-file release binary carries them). A text names its values `{like_this}`; `text(_:_:in:)` fills them in.
public enum Catalogue {
    /// The catalogue of one language: a text for every `MessageKey`.
    public static func texts(of language: Language) -> [MessageKey: String] {
        switch language {
        case .en: english
        case .zh: chinese
        }
    }

    /// `key`'s text in `language` (the task's by default), each `{name}` replaced by `arguments[name]`. A name
    /// without an argument stays as written, which `CatalogueTests` keeps from happening by checking placeholders.
    public static func text(
        _ key: MessageKey, _ arguments: KeyValuePairs<String, any CustomStringConvertible> = [:],
        in language: Language = Language.current
    ) -> String {
        fill(key, in: language) { name in arguments.first(where: { $0.key == name })?.value.description }
    }

    /// `text(_:_:in:)` for values already turned into text, as a `LocalizedText` keeps them.
    public static func text(_ key: MessageKey, values: [String: String], in language: Language = Language.current) -> String {
        fill(key, in: language) { values[String($0)] }
    }

    private static func fill(_ key: MessageKey, in language: Language, value: (Substring) -> String?) -> String {
        let template = texts(of: language)[key] ?? english[key] ?? key.rawValue
        guard template.contains("{") else { return template }
        var result = ""
        result.reserveCapacity(template.utf8.count + 16)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            if let filled = value(rest[rest.index(after: open)..<close]) {
                result += filled
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }

    /// The `{names}` a text uses, for checking that every language's text takes the same values.
    public static func placeholders(in template: String) -> Set<String> {
        var names = Set<String>()
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}
