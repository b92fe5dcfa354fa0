/// Scalars as every part of the decoder reads them, where errors are located, and the byte-level checks
/// `ManifestRules` shares.
extension ManifestDecoder {
    /// A mapping key as a field name; non-scalar keys are reported.
    mutating func fieldName(_ key: YAMLView) -> String? {
        guard let name = key.text else {
            error(at: key.mark, LocalizedText(.diagExpectedFieldName, keyed: ["found": Self.kind(of: key)]))
            return nil
        }
        return name
    }

    /// Text for a string field. Plain numbers are taken as the text written (`floor: 18`), but booleans and null
    /// are refused: `floor: no` is YAML 1.1's `false`, never what was meant.
    mutating func text(_ node: YAMLView) -> String? {
        // The kind is decided on the bytes, so a String is made only of text that is kept.
        switch node.scalarKind {
        case .string?, .int?, .float?: return node.text
        case .bool?: error(at: node.mark, LocalizedText(.diagExpectedStringBoolean, ["text": DiagnosticText.shown(node.text!)]))
        case .null?: error(at: node.mark, LocalizedText(.diagExpectedStringNull))
        case nil: error(at: node.mark, LocalizedText(.diagExpectedString, keyed: ["found": Self.kind(of: node)]))
        }
        return nil
    }

    mutating func nonEmptyText(_ node: YAMLView, label: String) -> String? {
        guard let text = text(node) else { return nil }
        guard !text.isEmpty else {
            error(at: node.mark, LocalizedText(.diagMustNotBeEmpty, ["label": label]))
            return nil
        }
        return text
    }

    mutating func integer(_ node: YAMLView, in bounds: ClosedRange<Int>, label: String) -> Int? {
        // On the bytes: no String is made of a good number.
        guard node.scalarKind == .int else {
            error(at: node.mark, LocalizedText(.diagExpectedInteger, keyed: ["found": Self.kind(of: node)]))
            return nil
        }
        guard let value = node.withText(YAMLScalar.integerValue) ?? nil, bounds.contains(value) else {
            error(
                at: node.mark,
                LocalizedText(.diagOutOfBounds, [
                    "label": label, "lower": String(bounds.lowerBound), "upper": String(bounds.upperBound),
                    "found": DiagnosticText.shown(node.text!),
                ]))
            return nil
        }
        return value
    }

    // MARK: - Helpers

    func location(_ mark: YAMLMark) -> SourceLocation {
        SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func error(at mark: YAMLMark, _ message: String) {
        diagnostics.append(.error(at: location(mark), message))
    }

    mutating func error(at mark: YAMLMark, _ text: LocalizedText) {
        diagnostics.append(.error(at: location(mark), text))
    }

    /// What a node is, for "expected X, found Y" messages: a word of the catalogue, rendered when printed.
    static func kind(of node: YAMLView) -> LocalizedText {
        LocalizedText(kindKey(of: node))
    }

    private static func kindKey(of node: YAMLView) -> MessageKey {
        switch node.kind {
        case .mapping: return .diagFoundMapping
        case .sequence: return .diagFoundSequence
        case .scalar:
            switch node.scalarKind! {
            case .null: return .diagFoundNull
            case .bool: return .diagFoundBoolean
            case .int: return .diagFoundInteger
            case .float: return .diagFoundFloat
            case .string: return .diagFoundString
            }
        }
    }

    /// `[a-z0-9][a-z0-9._-]{0,63}`, checked on bytes.
    static func isValidKey(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { utf8 in
            guard let first = utf8.first, utf8.count <= 64 else { return false }
            func isAlnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
            guard isAlnum(first) else { return false }
            return utf8.dropFirst().allSatisfy { isAlnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }
        }
    }

    /// How many Unicode scalars `text` has, counted on its UTF-8 bytes (every byte but a continuation byte starts one).
    static func scalarCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { utf8 in utf8.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
    }

    /// Whether a decimal of the shape `isDecimal` accepts is within `-limit...limit`, decided on its digits:
    /// exact, and without parsing a float for every coordinate of every room.
    static func decimal(_ text: String, isAtMost limit: Int) -> Bool {
        var text = text
        return text.withUTF8 { decimal($0, isAtMost: limit) }
    }

    static func decimal(_ utf8: UnsafeBufferPointer<UInt8>, isAtMost limit: Int) -> Bool {
        var integer = 0
        var pastPoint = false
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "-"): continue
            case UInt8(ascii: "."): pastPoint = true
            default:
                let digit = Int(byte) - 48
                if !pastPoint {
                    integer = integer * 10 + digit
                    if integer > limit { return false }
                } else if digit != 0 && integer == limit {
                    return false
                }
            }
        }
        return true
    }

    /// `-?[0-9]+(\.[0-9]+)?`: the shape WeCom's coordinate strings have.
    static func isDecimal(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(isDecimal)
    }

    static func isDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var utf8 = bytes[...]
        if utf8.first == UInt8(ascii: "-") { utf8 = utf8.dropFirst() }
        var digits = 0, dots = 0
        for byte in utf8 {
            if byte >= 48 && byte <= 57 {
                digits += 1
            } else if byte == UInt8(ascii: ".") && digits > 0 && dots == 0 {
                dots = 1
                digits = 0
            } else {
                return false
            }
        }
        return digits > 0
    }
}
