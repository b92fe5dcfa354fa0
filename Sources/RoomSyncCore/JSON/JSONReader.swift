import Foundation

/// A pull reader over JSON bytes, for the few large documents roomsync reads on every run: the state file and
/// `list`'s answer (tens of megabytes at 100,000 rooms). Foundation's decoders build a whole tree of the document
/// before any value is decoded; this reads values straight into the model, several times faster.
///
/// It is strict and says nothing about why it stopped: anything it does not expect (a float where an integer is
/// wanted, a missing field, invalid UTF-8, a trailing comma) throws `JSONReader.Unexpected`, and callers then
/// decode the same bytes with Foundation, which either accepts them or produces the usual, precise error. So this
/// only ever speeds up what Foundation would accept, and never changes a message.
public struct JSONReader {
    /// Thrown on anything the reader does not expect; callers fall back to Foundation.
    public struct Unexpected: Error {
        public init() {}
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    /// Told, every `Self.releaseInterval` bytes or so, how far the reader has got (`read(_:releasingBehind:_:)`).
    private var releaseBehind: ((Int) -> Void)?
    private var nextRelease = Int.max
    public static let releaseInterval = 4 << 20
    /// Accepts a comma before `}` or `]`, as WeCom does (`LenientJSON`): reading a `list` answer this way spares
    /// two scans and a copy of megabytes. Off by default, since the state file never has one.
    public var allowsTrailingCommas = false
    /// Equipment and range lists read so far, so that equal ones share storage (`SharedValues`), in a document
    /// big enough for that to matter (a state of some 25,000 rooms, a list of some 80,000): below, looking them
    /// up would only cost time (a state of 10,000 rooms, 6 MB, spent some 3 ms of a plan's CPU hashing lists).
    public private(set) var sharesLists = false
    public var sharedIntLists = SharedValues<[Int]>()
    public var sharedStringLists = SharedValues<[String]>()
    public static let sharingListsFrom = 16 << 20

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        sharesLists = bytes.count >= Self.sharingListsFrom
    }

    /// `read`, over bytes in memory, calling `release` now and then with an offset the reader will not go back
    /// before: a mapped file (`MappedFile.release(before:)`) can then drop what was read while the rest is read.
    public static func read<T>(
        _ buffer: UnsafeRawBufferPointer, releasingBehind release: @escaping (Int) -> Void,
        _ body: (inout JSONReader) throws -> T
    ) throws -> T {
        var reader = JSONReader(buffer)
        reader.releaseBehind = release
        reader.nextRelease = releaseInterval
        let value = try body(&reader)
        reader.skipWhitespace()
        guard reader.index == buffer.count else { throw Unexpected() }
        return value
    }

    /// Runs `body` with a reader over `data`, and checks that nothing but whitespace follows what it read.
    public static func read<D: ContiguousBytes, T>(
        _ data: D, allowingTrailingCommas: Bool = false, _ body: (inout JSONReader) throws -> T
    ) throws -> T {
        try data.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            reader.allowsTrailingCommas = allowingTrailingCommas
            let value = try body(&reader)
            reader.skipWhitespace()
            guard reader.index == buffer.count else { throw Unexpected() }
            return value
        }
    }

    // MARK: Structure

    /// Reads an object, calling `field` with each key; `field` must read or skip the value.
    public mutating func readObject(_ field: (String, inout JSONReader) throws -> Void) throws {
        try readMembers(key: { try $0.readString() }, field)
    }

    /// `readObject` for an object whose keys are field names the caller knows: each key is given as its bytes
    /// (`JSONKey`, matched with `case "name":`), not made a String. Those Strings, and comparing them with each
    /// case in turn, were a fifth of reading a state or a `list` answer. A key with an escape is unexpected (the
    /// caller's fallback reads it); one that is not ASCII is checked to be UTF-8, as `readString` would.
    public mutating func readFields(_ field: (JSONKey, inout JSONReader) throws -> Void) throws {
        try readMembers(key: { try $0.readKeyBytes() }, field)
    }

    /// An object's members, each key read by `readKey`.
    private mutating func readMembers<Key>(
        key readKey: (inout JSONReader) throws -> Key, _ field: (Key, inout JSONReader) throws -> Void
    ) throws {
        try expect(UInt8(ascii: "{"))
        if try consumeIf(UInt8(ascii: "}")) { return }
        repeat {
            if index >= nextRelease {
                // The key being read starts after `index`; keep a page of slack before it.
                releaseBehind?(index - 4096)
                nextRelease = index + Self.releaseInterval
            }
            let key = try readKey(&self)
            try expect(UInt8(ascii: ":"))
            try field(key, &self)
        } while try consumeIf(UInt8(ascii: ",")) && !(allowsTrailingCommas && isNext(UInt8(ascii: "}")))
        try expect(UInt8(ascii: "}"))
    }

    /// A key without escapes, as its bytes.
    private mutating func readKeyBytes() throws -> JSONKey {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            guard bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 else { throw Unexpected() }
            index += 1
        }
        guard index < bytes.count else { throw Unexpected() }
        let key = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if !Self.isASCII(key.bindMemory(to: UInt8.self)) { _ = try Self.string(key) }
        index += 1
        return JSONKey(bytes: key)
    }

    /// Reads an array, calling `element` for each element; `element` must read the value.
    public mutating func readArray(_ element: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if try consumeIf(UInt8(ascii: "]")) { return }
        repeat {
            try element(&self)
        } while try consumeIf(UInt8(ascii: ",")) && !(allowsTrailingCommas && isNext(UInt8(ascii: "]")))
        try expect(UInt8(ascii: "]"))
    }

    /// `true` (and the `null` consumed) when the next value is `null`: an optional field that is absent.
    public mutating func readNull() throws -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    /// Skips any value, checking its syntax.
    public mutating func skipValue() throws {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "{"): try readObject { _, reader in try reader.skipValue() }
        case UInt8(ascii: "["): try readArray { reader in try reader.skipValue() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default: try skipNumber()
        }
    }

    // MARK: Values

    public mutating func readBool() throws -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        if bytes[index] == UInt8(ascii: "t") {
            try expectLiteral("true")
            return true
        }
        try expectLiteral("false")
        return false
    }

    /// An integer written as one: `-?[0-9]+`. Anything else (a fraction, an exponent, a string) is unexpected.
    public mutating func readInt() throws -> Int {
        skipWhitespace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            let digit = Int(bytes[index] - 48)
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw Unexpected() }
            value = sum
            index += 1
        }
        let digits = index - start
        // JSON allows no leading zeros; a fraction or exponent means the number is not an integer as written.
        guard digits > 0, digits == 1 || bytes[start] != 48 else { throw Unexpected() }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw Unexpected()
        }
        return value
    }

    /// Skips a string with the checks `readString` makes, without making it: most of what `list` answers and
    /// the state holds is skipped by some reader (the envelope's, an unknown field's).
    mutating func skipString() throws {
        skipWhitespace()
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                if !Self.isASCII(text.bindMemory(to: UInt8.self)) { _ = try Self.string(text) }
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw Unexpected() }
            index += 1
        }
        // Escapes: the slow path, exactly as reading.
        index = start - 1
        _ = try readString()
    }

    public mutating func readString() throws -> String {
        skipWhitespace()
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes, so the bytes between the quotes are the string.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let string = try Self.string(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw Unexpected() }
            index += 1
        }
        var unescaped = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try unescaped.withUnsafeBytes { try Self.string($0) }
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Unexpected() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escape)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else { throw Unexpected() }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Unexpected() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Unexpected() }
                    unescaped.append(contentsOf: Array(String(unicode).utf8))
                default:
                    throw Unexpected()
                }
            default:
                guard byte >= 0x20 else { throw Unexpected() }
                unescaped.append(byte)
            }
        }
        throw Unexpected()
    }

    // MARK: Bytes

    /// The bytes as a String, or `Unexpected` when they are not valid UTF-8.
    ///
    /// Not `String(validating:as:)`: in this toolchain it runs unspecialised, looking up generic metadata at run
    /// time for every string, which made it the most expensive single thing in reading the state and the list.
    /// `String(decoding:as:)` is specialised for UTF-8 and replaces what is invalid with U+FFFD, so it gave back
    /// exactly the input's bytes if and only if they were valid.
    static func string(_ utf8: UnsafeRawBufferPointer) throws -> String {
        let bytes = utf8.bindMemory(to: UInt8.self)
        var string = String(decoding: bytes, as: UTF8.self)  // `var`: withUTF8 is mutating
        if !isASCII(bytes) {
            let same = string.withUTF8 { decoded in
                decoded.count == bytes.count
                    && (bytes.isEmpty || memcmp(decoded.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
            }
            guard same else { throw Unexpected() }
        }
        return string
    }

    /// Whether every byte is below 0x80, eight at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var at = 0
        while at + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: at, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            at += 8
        }
        while at < bytes.count {
            if base[at] & 0x80 != 0 { return false }
            at += 1
        }
        return true
    }

    private mutating func readHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw Unexpected() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 48...57: digit = byte - 48
            case 97...102: digit = byte - 87
            case 65...70: digit = byte - 55
            default: throw Unexpected()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as JSON writes numbers.
    private mutating func skipNumber() throws {
        func digits(_ reader: inout JSONReader) throws {
            let start = reader.index
            while reader.index < reader.bytes.count, reader.bytes[reader.index] >= 48, reader.bytes[reader.index] <= 57 {
                reader.index += 1
            }
            guard reader.index > start else { throw Unexpected() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let start = index
        try digits(&self)
        guard index - start == 1 || bytes[start] != 48 else { throw Unexpected() }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            try digits(&self)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            try digits(&self)
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw Unexpected() }
        index += 1
    }

    /// Whether the next byte after whitespace is `byte`, consuming only the whitespace.
    private mutating func isNext(_ byte: UInt8) -> Bool {
        skipWhitespace()
        return index < bytes.count && bytes[index] == byte
    }

    private mutating func consumeIf(_ byte: UInt8) throws -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        guard bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Unexpected() }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw Unexpected()
        }
        index += count
    }
}

/// An object's key as its bytes, for `readFields`: compared with the field names in a `switch` without a String.
/// It points into the document, and is valid only during the call of `readFields`' closure it is given to.
public struct JSONKey {
    let bytes: UnsafeRawBufferPointer

    public static func ~= (name: StaticString, key: JSONKey) -> Bool {
        name.utf8CodeUnitCount == key.bytes.count
            && (key.bytes.isEmpty || memcmp(name.utf8Start, key.bytes.baseAddress!, key.bytes.count) == 0)
    }
}
