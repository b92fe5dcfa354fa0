import Foundation

/// WeCom accepts (and its own documentation shows) JSON with a trailing comma before `}` or `]`, for example
/// `{"meetingroom_id":1,}`. Foundation's strict parser does not, so both the sandbox (reading requests) and the
/// client (reading responses) pass bodies through here first.
public enum LenientJSON {
    /// `data` with every comma that is followed only by whitespace and then `}` or `]` removed. Commas inside
    /// strings are left alone, so string values are never changed.
    public static func removingTrailingCommas(_ data: Data) -> Data {
        let bytes = [UInt8](data)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                output.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                var next = index + 1
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]") {
                    index += 1
                    continue
                }
            }
            output.append(byte)
            index += 1
        }
        return Data(output)
    }
}
