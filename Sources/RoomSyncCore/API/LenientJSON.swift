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
    private static func trailingCommas(in bytes: UnsafeRawBufferPointer) -> [Int] {
        var found: [Int] = []
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                var next = index + 1
                while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 || bytes[next] == 0x0A || bytes[next] == 0x0D {
                    next += 1
                }
                if next < bytes.count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]") {
                    found.append(index)
                }
            }
            index += 1
        }
        return found
    }
}
