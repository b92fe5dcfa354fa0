import Foundation

/// WeCom accepts (and its own documentation shows) JSON with a trailing comma before `}` or `]`, for example
/// `{"meetingroom_id":1,}`. Foundation's strict parser does not, so both the sandbox (reading requests) and the
/// client (reading responses) pass bodies through here first.
public enum LenientJSON {
    /// `data` with every comma that is followed only by whitespace and then `}` or `]` removed. Commas inside
    /// strings are left alone, so string values are never changed.
    public static func removingTrailingCommas(_ data: Data) -> Data {
        // Bodies almost never have one, and `list` answers are megabytes: find them first, copy only if any.
        let trailing = data.withUnsafeBytes { trailingCommas(in: $0) }
        guard !trailing.isEmpty else { return data }
        var output = [UInt8]()
        output.reserveCapacity(data.count)
        var next = trailing.makeIterator()
        var skip = next.next()
        for (index, byte) in data.enumerated() {
            if index == skip {
                skip = next.next()
                continue
            }
            output.append(byte)
        }
        return Data(output)
    }

    /// The offsets of the commas that are followed only by whitespace and then `}` or `]`, outside strings.
    /// Eight bytes at a time are skipped while none of them is `"`, `\\` or `,`: a `list` answer of 100,000 rooms
    /// is 21 MB, and it is scanned on every plan.
    private static func trailingCommas(in bytes: UnsafeRawBufferPointer) -> [Int] {
        var found: [Int] = []
        guard let base = bytes.baseAddress else { return found }
        let count = bytes.count
        var inString = false
        var index = 0
        while index < count {
            while index + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if has(word, UInt8(ascii: "\"")) || has(word, UInt8(ascii: "\\")) || has(word, UInt8(ascii: ",")) { break }
                index += 8
            }
            guard index < count else { break }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 2  // the escaped byte, whatever it is
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                var next = index + 1
                while next < count, bytes[next] == 0x20 || bytes[next] == 0x09 || bytes[next] == 0x0A || bytes[next] == 0x0D {
                    next += 1
                }
                if next < count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]") {
                    found.append(index)
                }
            }
            index += 1
        }
        return found
    }

    /// Whether any of the eight bytes of `word` is `byte`.
    private static func has(_ word: UInt64, _ byte: UInt8) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & 0x8080_8080_8080_8080 != 0
    }
}
