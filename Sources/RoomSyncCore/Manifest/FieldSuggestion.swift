/// "Did you mean" for unknown fields: the known name nearest by edit distance, if it is near enough to be
/// a typo rather than a different word.
enum FieldSuggestion {
    static func nearest(to word: String, in candidates: [String]) -> String? {
        // The edit distance is at least the difference in length, so a word far longer than every candidate
        // is no typo. Deciding that from the byte count, before lowercasing and the quadratic distance, keeps
        // a megabyte key (in every room that aliases it) from costing megabytes squared.
        let longest = candidates.map(\.unicodeScalars.count).max() ?? 0
        guard word.utf8.count <= 4 * (longest + max(2, longest / 3)) else { return nil }
        let typed = Array(word.lowercased().unicodeScalars)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = levenshtein(typed, Array(candidate.unicodeScalars))
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        // One edit in three characters, and at least two for short names (`nam`, `flor`).
        let allowed = max(2, best.name.unicodeScalars.count / 3)
        return best.distance <= allowed ? best.name : nil
    }

    /// The message for an unknown field, with a suggestion or else the list of what is allowed.
    static func unknownField(_ name: String, known: [String]) -> LocalizedText {
        if let suggestion = nearest(to: name, in: known) {
            return LocalizedText(.diagUnknownFieldSuggestion, ["name": DiagnosticText.shown(name), "suggestion": suggestion])
        }
        return LocalizedText(.diagUnknownFieldExpected, ["name": DiagnosticText.shown(name), "known": known.joined(separator: ", ")])
    }

    static func levenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
