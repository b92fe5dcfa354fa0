import CLibYAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one wrapper around libyaml. It pulls libyaml's *events* (not its document loader) and builds a flat
/// `YAMLTree` itself, iteratively, so that anchors, aliases, `<<` merge keys, duplicate keys and the limits on
/// depth and alias expansion are all under our control.
///
/// Owns the `yaml_parser_t` (at a stable address: libyaml keeps a pointer to it) and reads the input in place
/// or from a private copy; both are freed in `deinit`. Only Sendable values come out.
public final class YAMLParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeBufferPointer<UInt8>
    /// The copy `input` points into, when the parser made one.
    private let ownedInput: UnsafeMutableBufferPointer<UInt8>?
    private let count: Int
    private let limits: YAMLLimits

    /// A parser over a private copy of `bytes`.
    public convenience init(bytes: some Collection<UInt8>, limits: YAMLLimits = .default) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        // One copy for contiguous input (the usual [UInt8]) instead of an element-by-element loop.
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress { buffer.baseAddress!.initialize(from: base, count: source.count) }
            return true
        }
        if copied == nil {
            _ = buffer.initialize(from: bytes)
        }
        self.init(input: UnsafeBufferPointer(rebasing: buffer[..<bytes.count]), owned: buffer, limits: limits)
    }

    /// A parser reading `input` in place: the caller keeps it alive and unchanged until the parser is gone.
    private init(input: UnsafeBufferPointer<UInt8>, owned: UnsafeMutableBufferPointer<UInt8>?, limits: YAMLLimits) {
        self.limits = limits
        self.input = input
        ownedInput = owned
        count = input.count
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, input.baseAddress, input.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deinitialize(count: 1)
        parser.deallocate()
        ownedInput?.deallocate()
    }

    /// Parses the single document of the stream. Errors that leave the tree usable (duplicate keys, bad merge
    /// values) are collected and parsing goes on; syntax errors and exceeded limits stop it.
    public static func parse(_ bytes: some Collection<UInt8>, limits: YAMLLimits = .default) -> YAMLDocument {
        YAMLParser(bytes: bytes, limits: limits).parse()
    }

    /// `parse` without copying the input: a manifest is read once into an array and parsed from there.
    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = .default) -> YAMLDocument {
        bytes.withUnsafeBufferPointer { buffer in
            // libyaml wants a non-null pointer even for no input; an empty array may have none.
            guard buffer.baseAddress != nil else { return YAMLParser(bytes: EmptyCollection(), limits: limits).parse() }
            return YAMLParser(input: buffer, owned: nil, limits: limits).parse()
        }
    }

    /// The tree stores positions and offsets in 32 bits; no manifest comes near this.
    static let maxInputBytes = Int(Int32.max) / 2

    /// A sequence or mapping whose end event has not arrived yet.
    private struct Frame {
        var isMapping: Bool
        var mark: YAMLMark
        var anchor: String?
        /// Where this collection's children (items, or keys and values alternating) start in `Builder.pending`.
        var firstPending: Int
        /// Nodes in this subtree with aliases counted as expanded: what an alias of it costs.
        var size = 1
        /// Levels of sequences and mappings in this subtree, this one included, aliases expanded.
        var height = 1
    }

    private struct Fatal: Error {
        var error: YAMLError
    }

    public func parse() -> YAMLDocument {
        guard count <= Self.maxInputBytes else {
            return YAMLDocument(root: nil, errors: [YAMLError(
                at: YAMLMark(line: 1, column: 1), "file is too large (\(count) bytes); split it into several manifests")])
        }
        var builder = Builder(limits: limits, inputBytes: count)
        var event = yaml_event_t()
        do {
            loop: while true {
                guard yaml_parser_parse(parser, &event) == 1 else {
                    throw Fatal(error: libyamlError())
                }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    break loop
                case YAML_DOCUMENT_START_EVENT:
                    builder.documents += 1
                    if builder.documents > 1 {
                        builder.errors.append(YAMLError(
                            at: Self.mark(event.start_mark),
                            "a manifest holds one YAML document; remove the second '---' or split the file"))
                        break loop
                    }
                case YAML_SCALAR_EVENT:
                    let data = event.data.scalar
                    let index = builder.scalar(
                        UnsafeBufferPointer(start: data.value, count: data.length), tag: Self.string(data.tag),
                        style: Self.style(data.style), mark: event.start_mark)
                    // What an alias of a scalar costs grows with its length: every use of a value is read at
                    // least once, so a 300 KB number aliased as the capacity of 20,000 rooms (one 1 MB file)
                    // took minutes while counting as only 20,000 nodes.
                    let size = 1 + data.length / YAMLLimits.bytesPerNode
                    if let anchor = Self.string(data.anchor) { builder.anchors[anchor] = (index, size, 0) }
                    builder.append(index, size: size, height: 0)
                case YAML_SEQUENCE_START_EVENT:
                    try builder.push(isMapping: false, mark: Self.mark(event.start_mark),
                                     anchor: Self.string(event.data.sequence_start.anchor))
                case YAML_MAPPING_START_EVENT:
                    try builder.push(isMapping: true, mark: Self.mark(event.start_mark),
                                     anchor: Self.string(event.data.mapping_start.anchor))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    builder.pop()
                case YAML_ALIAS_EVENT:
                    try builder.alias(Self.string(event.data.alias.anchor) ?? "", at: Self.mark(event.start_mark))
                default:
                    break  // stream start, document end
                }
            }
        } catch {
            builder.errors.append((error as! Fatal).error)
            return YAMLDocument(root: nil, errors: builder.errors)
        }
        let root = builder.root
        let errors = builder.errors
        let tree = builder.finish()
        return YAMLDocument(root: root.map { YAMLNode(tree: tree, index: $0) }, errors: errors)
    }

    /// The tree under construction; separate from the class so the hot loop works on a local value.
    private struct Builder {
        typealias Record = YAMLTree.Record

        let limits: YAMLLimits
        var records: [Record] = []
        var text: [UInt8] = []
        var children: [Int32] = []
        var tags: [Int32: String] = [:]
        /// The children of every open collection, innermost last; a collection's are moved to `children` when it
        /// ends, so each collection's children end up contiguous.
        var pending: [Int32] = []
        var stack: [Frame] = []
        var root: Int32?
        var anchors: [String: (index: Int32, size: Int, height: Int)] = [:]
        var expanded = 0
        var documents = 0
        var errors: [YAMLError] = []

        init(limits: YAMLLimits, inputBytes: Int) {
            self.limits = limits
            // Scalars' text is never longer than the input, and a node takes at least a few bytes of it.
            text.reserveCapacity(inputBytes)
            records.reserveCapacity(inputBytes / 8 + 16)
            children.reserveCapacity(inputBytes / 8 + 16)
        }

        func finish() -> YAMLTree {
            YAMLTree(records: records, text: text, children: children, tags: tags)
        }

        mutating func scalar(_ bytes: UnsafeBufferPointer<UInt8>, tag: String?, style: YAMLScalar.Style, mark: yaml_mark_t) -> Int32 {
            let index = Int32(records.count)
            let start = Int32(text.count)
            text.append(contentsOf: bytes)
            records.append(Record(
                kind: .scalar, style: style, tagged: tag != nil, line: Int32(mark.line + 1), column: Int32(mark.column + 1),
                start: start, count: Int32(bytes.count)))
            if let tag { tags[index] = tag }
            return index
        }

        mutating func push(isMapping: Bool, mark: YAMLMark, anchor: String?) throws {
            // Consumers may walk the tree recursively, so depth is bounded at the source.
            guard stack.count < limits.maxDepth else {
                throw Fatal(error: YAMLError(at: mark, "nesting is deeper than \(limits.maxDepth) levels"))
            }
            stack.append(Frame(isMapping: isMapping, mark: mark, anchor: anchor, firstPending: pending.count))
        }

        mutating func append(_ index: Int32, size: Int, height: Int) {
            if stack.isEmpty {
                root = index
            } else {
                pending.append(index)
                stack[stack.count - 1].size += size
                stack[stack.count - 1].height = max(stack[stack.count - 1].height, height + 1)
            }
        }

        mutating func pop() {
            let frame = stack.removeLast()
            let start = Int32(children.count)
            if frame.isMapping {
                resolveMapping(from: frame.firstPending)
            } else {
                children.append(contentsOf: pending[frame.firstPending...])
            }
            pending.removeLast(pending.count - frame.firstPending)
            let index = Int32(records.count)
            records.append(Record(
                kind: frame.isMapping ? .mapping : .sequence, style: .plain, tagged: false,
                line: Int32(frame.mark.line), column: Int32(frame.mark.column),
                start: start, count: Int32(children.count) - start))
            if let anchor = frame.anchor { anchors[anchor] = (index, frame.size, frame.height) }
            append(index, size: frame.size, height: frame.height)
        }

        mutating func alias(_ name: String, at mark: YAMLMark) throws {
            guard let (index, size, height) = anchors[name] else {
                throw Fatal(error: YAMLError(at: mark, "alias '*\(DiagnosticText.shown(name))' refers to no anchor defined before it"))
            }
            // The alias shares the anchored node, so memory stays flat; what grows is the work of whoever walks
            // the tree.
            expanded += size
            guard expanded <= limits.maxAliasExpansion else {
                throw Fatal(error: YAMLError(
                    at: mark, "aliases expand to more than \(limits.maxAliasExpansion) nodes (an alias bomb?)"))
            }
            // An alias puts its whole subtree where it stands, so `&a [[…]]` aliased inside `&b [[… *a]]`, and so
            // on, would nest far deeper than `push` allows (tens of thousands of levels within the expansion
            // bound) and overflow the stack of whoever walks the tree recursively.
            guard stack.count + height <= limits.maxDepth else {
                throw Fatal(error: YAMLError(
                    at: mark, "nesting is deeper than \(limits.maxDepth) levels (counting what aliases bring in)"))
            }
            append(index, size: size, height: height)
        }

        // MARK: Mappings

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
                        errors.append(YAMLError(at: mark(of: key), "duplicate key '<<'", related: first))
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
                            at: mark(of: value), "merge key '<<' needs a mapping or a sequence of mappings"))
                    }
                    continue
                }
                if isScalar(key), let first = find(key, in: pairs) {
                    let name = String(decoding: bytes(of: key), as: UTF8.self)
                    errors.append(YAMLError(
                        at: mark(of: key), "duplicate key '\(DiagnosticText.shown(name))'",
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

    // MARK: - Converting libyaml's values

    private static func mark(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: mark.line + 1, column: mark.column + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    /// libyaml's error as a located one-line message. Reader errors (encoding) carry a byte offset instead of a
    /// mark, so their position is computed from the input.
    private func libyamlError() -> YAMLError {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "unknown error"
        if p.error == YAML_READER_ERROR {
            // libyaml points at the offending octet; a bad trailing octet belongs to the character its lead
            // byte starts, which is where an editor shows the damage.
            var offset = min(p.problem_offset, count)
            if problem.contains("trailing") {
                var back = offset
                while back > 0, offset - back < 3 {
                    back -= 1
                    if input[back] & 0xC0 == 0xC0 { offset = back; break }
                }
            }
            let mark = position(ofByte: offset)
            if problem.contains("control characters") {
                return YAMLError(at: mark, "file contains control characters (is it a binary file?)")
            }
            return YAMLError(at: mark, "file is not valid UTF-8 text (\(problem))")
        }
        let mark = Self.mark(p.problem_mark)
        if character(at: mark) == UInt8(ascii: "\t") {
            return YAMLError(at: mark, "invalid YAML: tab character; YAML does not allow tabs for indentation, use spaces")
        }
        var message = "invalid YAML: \(problem)"
        if let context = p.context.map({ String(cString: $0) }) {
            let contextMark = Self.mark(p.context_mark)
            message += contextMark == mark ? " \(context)" : " \(context) started at \(contextMark)"
        }
        return YAMLError(at: mark, message)
    }

    /// Line and column (in characters) of a byte offset, for reader errors.
    private func position(ofByte offset: Int) -> YAMLMark {
        var line = 1, column = 1
        for byte in input.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return YAMLMark(line: line, column: column)
    }

    /// The first byte of the character at a mark, to recognise tab errors.
    private func character(at mark: YAMLMark) -> UInt8? {
        var line = 1, column = 1
        for byte in input.prefix(count) {
            if line == mark.line && column == mark.column && byte & 0xC0 != 0x80 { return byte }
            if byte == UInt8(ascii: "\n") {
                if line == mark.line { return byte }
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return nil
    }
}
