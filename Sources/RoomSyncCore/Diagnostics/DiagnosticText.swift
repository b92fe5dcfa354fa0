/// User text (a key, a value) as it is quoted inside a diagnostic. A diagnostic is one line that editors and
/// CI annotators parse, so line breaks and other control characters are escaped, and a huge value (a
/// megabyte key, perhaps repeated by aliases in many rooms) is cut short instead of flooding the output.
enum DiagnosticText {
    /// Long enough for any legitimate key or value (a 65-character key still shows in full).
    static let maxScalars = 100

    static func shown(_ text: String) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == maxScalars {
                result += "…"
                break
            }
            count += 1
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .lineSeparator, .paragraphSeparator:
                    result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                default:
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
