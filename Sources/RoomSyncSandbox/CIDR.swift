#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address block such as `10.0.0.0/8`, `127.0.0.1` (a single address) or `::1/128`, for the sandbox's
/// `--trusted-ips` (WeCom's 企业可信IP). IPv4 blocks also match IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]
    let prefixLength: Int
    public let description: String

    /// `nil` when `text` is not an address or an address with a prefix length that fits it.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let bytes = Self.address(String(parts[0])) else { return nil }
        let maximum = bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else { return nil }
            prefix = value
        }
        self.bytes = bytes
        self.prefixLength = prefix
        self.description = text
    }

    /// Parses a comma-separated list; `nil` names the first entry that is not a CIDR.
    public static func parseList(_ text: String) -> Result<[CIDR], ParseError> {
        var blocks: [CIDR] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            guard let block = CIDR(entry) else { return .failure(ParseError(entry: entry)) }
            blocks.append(block)
        }
        return .success(blocks)
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let entry: String
        public var description: String { "'\(entry)' is not an address or CIDR block (for example 10.0.0.0/8 or ::1)" }
    }

    /// Whether `address` (in text form, as a socket reports it) lies in this block.
    public func contains(_ address: String) -> Bool {
        guard var other = Self.address(address) else { return false }
        if bytes.count == 4, other.count == 16, other.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            other = Array(other.suffix(4))
        }
        guard other.count == bytes.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
