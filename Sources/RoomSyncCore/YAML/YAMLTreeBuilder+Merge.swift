import CLibYAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Mappings: pairing keys with values, duplicate keys, and `<<` merges (the YAML merge-key spec), on the tree
// under construction.
extension YAMLParser.Builder {
    func mark(of index: Int32) -> YAMLMark {
        let record = records[Int(index)]
        return YAMLMark(line: Int(record.line), column: Int(record.column))
    }

    /// Whether two scalars have the same text, byte for byte.
    func sameText(_ a: Int32, _ b: Int32) -> Bool {
        let left = records[Int(a)], right = records[Int(b)]
        guard left.count == right.count else { return false }
        return text.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            return memcmp(base + Int(left.start), base + Int(right.start), Int(left.count)) == 0
        }
    }

    /// FNV-1a of a scalar's text, for the index of big mappings.
    func textHash(_ index: Int32) -> UInt64 {
        let record = records[Int(index)]
        return text.withUnsafeBufferPointer { buffer in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in buffer[Int(record.start)..<Int(record.start + record.count)] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            return hash
        }
    }

    func isScalar(_ index: Int32) -> Bool { records[Int(index)].kind == .scalar }

    /// Pairs the pending keys and values of the mapping that just ended and moves them to `children`,
    /// reporting duplicate keys and applying `<<` merges: explicit keys win over merged ones, and among
    /// several merged mappings the earlier one wins (YAML merge-key spec). Keys are compared byte for byte.
    /// The pairs of the mapping being resolved: `children[start...]`, keys and values alternating.
    /// Small mappings (a room's fields) are checked by scanning; only big ones (the rooms) pay for hashing.
    /// The index maps a key's hash to its first pair; a collision between different texts falls back to a scan.
    struct ResolvedPairs {
        let start: Int
        var hashed: Bool
        var index: [UInt64: Int] = [:]
    }

    func pairCount(_ pairs: ResolvedPairs) -> Int { (children.count - pairs.start) / 2 }

    func key(ofPair pair: Int, in pairs: ResolvedPairs) -> Int32 { children[pairs.start + 2 * pair] }

    /// The pair whose scalar key has the same text as `key`.
    func find(_ key: Int32, in pairs: ResolvedPairs) -> Int? {
        if pairs.hashed {
            guard let candidate = pairs.index[textHash(key)] else { return nil }
            if sameText(self.key(ofPair: candidate, in: pairs), key) { return candidate }
        }
        for pair in 0..<pairCount(pairs) {
            let other = self.key(ofPair: pair, in: pairs)
            if isScalar(other) && sameText(other, key) { return pair }
        }
        return nil
    }

    mutating func add(key: Int32, value: Int32, to pairs: inout ResolvedPairs) {
        if pairs.hashed, isScalar(key) {
            let hash = textHash(key)
            if pairs.index[hash] == nil { pairs.index[hash] = pairCount(pairs) }
        }
        children.append(key)
        children.append(value)
    }

    /// Pairs the pending keys and values of the mapping that just ended and moves them to `children`,
    /// reporting duplicate keys and applying `<<` merges: explicit keys win over merged ones, and among
    /// several merged mappings the earlier one wins (YAML merge-key spec). Keys are compared byte for byte.
    mutating func resolveMapping(from firstPending: Int) {
        var pairs = ResolvedPairs(start: children.count, hashed: (pending.count - firstPending) / 2 > 32)
        var merges: [Int32] = []
        var mergeKeyMark: YAMLMark?

        var i = firstPending
        while i + 1 < pending.count {
            let key = pending[i], value = pending[i + 1]
            i += 2
            if isMergeKey(key) {
                if let first = mergeKeyMark {
                    errors.append(YAMLError(at: mark(of: key), LocalizedText(.yamlDuplicateKey, ["key": "<<"]), related: first))
                    continue
                }
                mergeKeyMark = mark(of: key)
                let record = records[Int(value)]
                // A collection's start and count are positions in `children`; a scalar's are in `text`.
                let items = record.kind == .sequence ? children[Int(record.start)..<Int(record.start + record.count)] : []
                switch record.kind {
                case .mapping:
                    merges.append(value)
                case .sequence where items.allSatisfy({ records[Int($0)].kind == .mapping }):
                    merges.append(contentsOf: items)
                default:
                    errors.append(YAMLError(
                        at: mark(of: value), LocalizedText(.yamlMergeNeedsMapping)))
                }
                continue
            }
            if isScalar(key), let first = find(key, in: pairs) {
                let name = String(decoding: bytes(of: key), as: UTF8.self)
                errors.append(YAMLError(
                    at: mark(of: key), LocalizedText(.yamlDuplicateKey, ["key": DiagnosticText.shown(name)]),
                    related: mark(of: self.key(ofPair: first, in: pairs))))
                continue
            }
            add(key: key, value: value, to: &pairs)
        }
        guard !merges.isEmpty else { return }
        // A small mapping can merge a big one (`x: {<<: *all}`): count what the merges bring before choosing to
        // scan, or each merged key scans all before it and a 300 KB file takes half a minute.
        if !pairs.hashed, pairCount(pairs) + merges.reduce(0, { $0 + Int(records[Int($1)].count) / 2 }) > 32 {
            pairs.hashed = true
            for pair in 0..<pairCount(pairs) where isScalar(key(ofPair: pair, in: pairs)) {
                let hash = textHash(key(ofPair: pair, in: pairs))
                if pairs.index[hash] == nil { pairs.index[hash] = pair }
            }
        }
        for source in merges {
            let record = records[Int(source)]
            var at = Int(record.start)
            while at < Int(record.start + record.count) {
                let key = children[at], value = children[at + 1]
                at += 2
                if isScalar(key), find(key, in: pairs) != nil { continue }
                add(key: key, value: value, to: &pairs)
            }
        }
    }

    func bytes(of index: Int32) -> ArraySlice<UInt8> {
        let record = records[Int(index)]
        return text[Int(record.start)..<Int(record.start + record.count)]
    }

    func isMergeKey(_ index: Int32) -> Bool {
        let record = records[Int(index)]
        guard record.kind == .scalar, record.count == 2,
              text[Int(record.start)] == UInt8(ascii: "<"), text[Int(record.start) + 1] == UInt8(ascii: "<")
        else { return false }
        if record.tagged { return tags[index] == "tag:yaml.org,2002:merge" }
        return record.style == .plain
    }
}
