/// In files and machine formats (saved plans, JSON) a text is its English rendering, so they stay the same in every
/// language (SPEC section 12); read back, it is that text as it was written.
extension LocalizedText: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(verbatim: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(english)
    }

    /// A text that is already written (read from a saved plan), the same in every language.
    public init(verbatim text: String) {
        self.init(plain: text)
    }

    /// The text as machine formats carry it.
    public var english: String { rendered(in: .en) }
}

/// Two texts are the same when they say the same thing: a saved plan's warning, read back as the text it was
/// written as, equals the warning the plan was made with.
extension LocalizedText {
    public static func == (lhs: LocalizedText, rhs: LocalizedText) -> Bool {
        (lhs.key == rhs.key && lhs.values == rhs.values && lhs.keyedValues == rhs.keyedValues) || lhs.english == rhs.english
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(english)
    }
}
