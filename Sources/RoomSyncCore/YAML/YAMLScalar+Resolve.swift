#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a scalar means under YAML 1.1 as libyaml users expect (PyYAML's resolver, minus `y`/`n`).
public enum YAMLScalarKind: Sendable, Hashable {
    case null
    case bool(Bool)
    case int
    case float
    case string
}

extension YAMLScalar {
    static let strTag = "tag:yaml.org,2002:str"
    static let intTag = "tag:yaml.org,2002:int"
    static let floatTag = "tag:yaml.org,2002:float"
    static let boolTag = "tag:yaml.org,2002:bool"
    static let nullTag = "tag:yaml.org,2002:null"

    /// The scalar's type: quoted and block scalars are strings, plain ones are resolved from their text, and an
    /// explicit `!!str`/`!!int`/... tag wins.
    public var kind: YAMLScalarKind {
        var text = value
        return text.withUTF8 { Self.kind(of: $0, tag: tag, style: style) }
    }

    /// `kind` of a scalar's UTF-8 bytes, tag and style: decided without making a String of the text, so the
    /// manifest decoder can check a value's type before it pays for one (`YAMLNode.scalarKind`).
    static func kind(of utf8: UnsafeBufferPointer<UInt8>, tag: String?, style: Style) -> YAMLScalarKind {
        if let tag {
            switch tag {
            case Self.strTag: return .string
            case Self.intTag: return .int
            case Self.floatTag: return .float
            case Self.boolTag: return boolValue(utf8).map { .bool($0) } ?? .string
            case Self.nullTag: return .null
            default: return .string
            }
        }
        guard style == .plain else { return .string }
        return resolvePlain(utf8)
    }

    /// The value as a decimal integer; `nil` when it is not one or does not fit in `Int`.
    public var integerValue: Int? {
        var text = value
        return text.withUTF8(Self.integerValue)
    }

    /// `integerValue` of a scalar's UTF-8 bytes.
    static func integerValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var utf8 = bytes[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty else { return nil }
        var result = 0
        for byte in utf8 {
            if byte == UInt8(ascii: "_") { continue }
            guard byte >= 48, byte <= 57 else { return nil }
            let digit = Int(byte - 48)
            let (times, o1) = result.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            result = sum
        }
        return result
    }

    static func boolValue(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8(boolValue)
    }

    /// YAML 1.1's booleans (PyYAML's, minus `y`/`n`), matched on bytes.
    static func boolValue(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch utf8.count {
        case 2:
            if utf8.equals("on") || utf8.equals("On") || utf8.equals("ON") { return true }
            if utf8.equals("no") || utf8.equals("No") || utf8.equals("NO") { return false }
        case 3:
            if utf8.equals("yes") || utf8.equals("Yes") || utf8.equals("YES") { return true }
            if utf8.equals("off") || utf8.equals("Off") || utf8.equals("OFF") { return false }
        case 4:
            if utf8.equals("true") || utf8.equals("True") || utf8.equals("TRUE") { return true }
        case 5:
            if utf8.equals("false") || utf8.equals("False") || utf8.equals("FALSE") { return false }
        default:
            break
        }
        return nil
    }

    static func resolvePlain(_ text: UnsafeBufferPointer<UInt8>) -> YAMLScalarKind {
        var utf8 = text[...]
        guard let first = utf8.first else { return .null }
        // Most scalars are names and ids: decide from the first byte before doing any comparison.
        switch first {
        case UInt8(ascii: "~"):
            return utf8.count == 1 ? .null : .string
        case UInt8(ascii: "n"), UInt8(ascii: "N"):
            if text.equals("null") || text.equals("Null") || text.equals("NULL") { return .null }
            if let bool = boolValue(text) { return .bool(bool) }
            return .string
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"),
            UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            if let bool = boolValue(text) { return .bool(bool) }
            return .string
        case UInt8(ascii: "."):
            if text.count == 4 && (text.isInfinity || text.equals(".nan") || text.equals(".NaN") || text.equals(".NAN")) {
                return .float
            }
        case UInt8(ascii: "-"), UInt8(ascii: "+"):
            if UnsafeBufferPointer(rebasing: text.dropFirst()).isInfinity { return .float }
            utf8 = utf8.dropFirst()
        case 48...57:
            break
        default:
            return .string
        }
        // [0-9][0-9_]* is an integer; digits with one '.' and an optional exponent a float.
        var digits = 0
        var dots = 0
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte >= 48 && byte <= 57 {
                digits += 1
            } else if byte == UInt8(ascii: "_") && digits > 0 {
            } else if byte == UInt8(ascii: ".") {
                dots += 1
                if dots > 1 { return .string }
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                guard digits > 0 else { return .string }
                var rest = utf8[utf8.index(after: index)...]
                if let sign = rest.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                    rest = rest.dropFirst()
                }
                guard !rest.isEmpty, rest.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return .string }
                return .float
            } else {
                return .string
            }
            index = utf8.index(after: index)
        }
        guard digits > 0 else { return .string }
        return dots == 0 ? .int : .float
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes are exactly `literal`'s, compared byte for byte (no String made).
    func equals(_ literal: StaticString) -> Bool {
        literal.utf8CodeUnitCount == count && (count == 0 || memcmp(literal.utf8Start, baseAddress!, count) == 0)
    }

    /// `.inf`, `.Inf` or `.INF`.
    fileprivate var isInfinity: Bool { equals(".inf") || equals(".Inf") || equals(".INF") }
}
