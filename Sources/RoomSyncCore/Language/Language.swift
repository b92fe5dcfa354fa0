/// The language roomsync speaks to people (SPEC section 12): plan, drift and apply text and markdown, progress,
/// summaries, warnings, errors, doctor and robot messages. Machine formats (json, prometheus, SARIF, state, saved
/// plans) never depend on it.
public enum Language: String, Sendable, Hashable, CaseIterable {
    case en
    case zh

    /// The language of the task rendering text. The executable sets it once around a command
    /// (`Language.$current.withValue(…)`); a test renders in Chinese the same way, so tests running at once never
    /// see each other's language. Text is rendered where it is printed, in the command's task, so errors and
    /// diagnostics made on threads of their own still come out in the chosen language.
    @TaskLocal public static var current: Language = .en

    /// `--lang` when given, else `ROOMSYNC_LANG`, else Chinese when the locale (`LC_ALL`, else `LC_MESSAGES`, else
    /// `LANG`, the first one set and not empty, as POSIX orders them) starts with `zh`, else English.
    public static func choose(flag: String?, environment: [String: String]) throws(UnknownLanguage) -> Language {
        if let flag { return try named(flag, from: "--lang") }
        if let variable = environment["ROOMSYNC_LANG"], !variable.isEmpty {
            return try named(variable, from: "ROOMSYNC_LANG")
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        return locale?.lowercased().hasPrefix("zh") == true ? .zh : .en
    }

    private static func named(_ text: String, from source: String) throws(UnknownLanguage) -> Language {
        guard let language = Language(rawValue: text.lowercased()) else { throw UnknownLanguage(value: text, source: source) }
        return language
    }

    /// A `--lang` or `ROOMSYNC_LANG` that names neither language.
    public struct UnknownLanguage: Error, Sendable, Hashable, CustomStringConvertible {
        public var value: String
        public var source: String

        public init(value: String, source: String) {
            self.value = value
            self.source = source
        }

        public var description: String { Catalogue.text(.unknownLanguage, ["source": source, "value": value]) }
    }
}
