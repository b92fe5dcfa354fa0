/// The limits a manifest's values must meet, as `validate` applies them, for code that writes manifests
/// (`export`) and must never write one that `validate` refuses.
public enum ManifestRules {
    public static var maxNameLength: Int { ManifestDecoder.maxNameLength }
    public static var capacityRange: ClosedRange<Int> { ManifestDecoder.capacityRange }
    public static var maxRangeEntries: Int { ManifestDecoder.maxRangeEntries }
    public static var departmentRange: ClosedRange<Int> { ManifestDecoder.departmentRange }
    public static var meetingroomIDRange: ClosedRange<Int> { ManifestDecoder.meetingroomIDRange }

    /// `[a-z0-9][a-z0-9._-]{0,63}`: the one key validator, the manifest reader's.
    public static func isValidKey(_ key: String) -> Bool { ManifestDecoder.isValidKey(key) }

    /// What `isValidKey` accepts, as a regular expression, for messages.
    public static var keyPattern: String { ManifestDecoder.keyPattern }

    /// A latitude (`limit` 90) or longitude (180) as a manifest accepts it: a decimal within `-limit...limit`.
    public static func isCoordinate(_ text: String, limit: Int) -> Bool {
        ManifestDecoder.isDecimal(text) && ManifestDecoder.decimal(text, isAtMost: limit)
    }

    /// User text as a one-line message quotes it: control characters escaped, a huge value cut short.
    public static func shown(_ text: String) -> String { DiagnosticText.shown(text) }
}
