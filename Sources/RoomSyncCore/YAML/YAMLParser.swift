import CLibYAML

/// The one wrapper around libyaml. It pulls libyaml's *events* (not its document loader) and builds a
/// `YAMLNode` tree itself, iteratively, so that anchors, aliases, `<<` merge keys, duplicate keys and the
/// limits on depth and alias expansion are all under our control.
///
/// Owns the `yaml_parser_t` (at a stable address: libyaml keeps a pointer to it) and a private copy of the
/// input, which libyaml reads lazily; both are freed in `deinit`. Only Sendable values come out.
public final class YAMLParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let count: Int
    private let limits: YAMLLimits

    public init(bytes: some Collection<UInt8>, limits: YAMLLimits = .default) {
        self.limits = limits
        count = bytes.count
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        // One copy for contiguous input (the usual [UInt8]) instead of an element-by-element loop.
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress { buffer.baseAddress!.initialize(from: base, count: source.count) }
            return true
        }
        if copied == nil {
            _ = buffer.initialize(from: bytes)
        }
        input = buffer
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deinitialize(count: 1)
        parser.deallocate()
        input.deallocate()
    }

    /// Parses the single document of the stream. Errors that leave the tree usable (duplicate keys, bad merge
    /// values) are collected and parsing goes on; syntax errors and exceeded limits stop it.
    public static func parse(_ bytes: some Collection<UInt8>, limits: YAMLLimits = .default) -> YAMLDocument {
        YAMLParser(bytes: bytes, limits: limits).parse()
    }

    /// A sequence or mapping whose end event has not arrived yet.
    private struct Frame {
        var isMapping: Bool
        var mark: YAMLMark
        var anchor: String?
        /// Items, or keys and values alternating.
        var children: [YAMLNode] = []
        /// Nodes in this subtree with aliases counted as expanded: what an alias of it costs.
        var size = 1
        /// Levels of sequences and mappings in this subtree, this one included, aliases expanded.
        var height = 1
    }

    private struct Fatal: Error {
        var error: YAMLError
    }

    public func parse() -> YAMLDocument {
        var builder = Builder(limits: limits)
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
                    let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                    let node = YAMLNode(
                        .scalar(YAMLScalar(value: value, tag: Self.string(data.tag), style: Self.style(data.style))),
                        mark: Self.mark(event.start_mark))
                    // What an alias of a scalar costs grows with its length: every use of a value is read at
                    // least once, so a 300 KB number aliased as the capacity of 20,000 rooms (one 1 MB file)
                    // took minutes while counting as only 20,000 nodes.
                    let size = 1 + data.length / YAMLLimits.bytesPerNode
                    if let anchor = Self.string(data.anchor) { builder.anchors[anchor] = (node, size, 0) }
                    builder.append(node, size: size, height: 0)
                case YAML_SEQUENCE_START_EVENT:
                    try builder.push(Frame(isMapping: false, mark: Self.mark(event.start_mark),
                                           anchor: Self.string(event.data.sequence_start.anchor)))
                case YAML_MAPPING_START_EVENT:
                    try builder.push(Frame(isMapping: true, mark: Self.mark(event.start_mark),
                                           anchor: Self.string(event.data.mapping_start.anchor)))
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
        return YAMLDocument(root: builder.root, errors: builder.errors)
    }

    /// The tree under construction; separate from the class so the hot loop works on a local value.
    private struct Builder {
        let limits: YAMLLimits
        var stack: [Frame] = []
        var root: YAMLNode?
        var anchors: [String: (node: YAMLNode, size: Int, height: Int)] = [:]
        var expanded = 0
        var documents = 0
        var errors: [YAMLError] = []

        init(limits: YAMLLimits) {
            self.limits = limits
        }

        mutating func push(_ frame: Frame) throws {
            // Building iteratively already avoids recursion here, but consumers walk the tree recursively and
            // Swift tears it down recursively, so depth is bounded at the source.
            guard stack.count < limits.maxDepth else {
                throw Fatal(error: YAMLError(at: frame.mark, "nesting is deeper than \(limits.maxDepth) levels"))
            }
            stack.append(frame)
        }

        mutating func append(_ node: YAMLNode, size: Int, height: Int) {
            if stack.isEmpty {
                root = node
            } else {
                stack[stack.count - 1].children.append(node)
                stack[stack.count - 1].size += size
                stack[stack.count - 1].height = max(stack[stack.count - 1].height, height + 1)
            }
        }

        mutating func pop() {
            let frame = stack.removeLast()
            let node: YAMLNode
            if frame.isMapping {
                node = YAMLNode(.mapping(resolveMapping(frame.children)), mark: frame.mark)
            } else {
                node = YAMLNode(.sequence(frame.children), mark: frame.mark)
            }
            if let anchor = frame.anchor { anchors[anchor] = (node, frame.size, frame.height) }
            append(node, size: frame.size, height: frame.height)
        }

        mutating func alias(_ name: String, at mark: YAMLMark) throws {
            guard let (node, size, height) = anchors[name] else {
                throw Fatal(error: YAMLError(at: mark, "alias '*\(DiagnosticText.shown(name))' refers to no anchor defined before it"))
            }
            // Copies share storage, so memory stays flat; what grows is the work of whoever walks the tree.
            expanded += size
            guard expanded <= limits.maxAliasExpansion else {
                throw Fatal(error: YAMLError(
                    at: mark, "aliases expand to more than \(limits.maxAliasExpansion) nodes (an alias bomb?)"))
            }
            // An alias puts its whole subtree where it stands, so `&a [[…]]` aliased inside `&b [[… *a]]`, and so
            // on, would nest far deeper than `push` allows (tens of thousands of levels within the expansion
            // bound) and overflow the stack of whoever walks or frees the tree.
            guard stack.count + height <= limits.maxDepth else {
                throw Fatal(error: YAMLError(
                    at: mark, "nesting is deeper than \(limits.maxDepth) levels (counting what aliases bring in)"))
            }
            append(node, size: size, height: height)
        }

        /// Pairs keys with values, reports duplicate keys and applies `<<` merges: explicit keys win over merged
        /// ones, and among several merged mappings the earlier one wins (YAML merge-key spec).
        mutating func resolveMapping(_ children: [YAMLNode]) -> [YAMLPair] {
            var pairs: [YAMLPair] = []
            pairs.reserveCapacity(children.count / 2)
            var index: [String: Int] = [:]
            // Small mappings (a room's fields) are checked by scanning; only big ones (the rooms) pay for hashing.
            var hashed = children.count > 32
            var merges: [YAMLNode] = []
            var mergeKeyMark: YAMLMark?

            func find(_ key: String, _ pairs: [YAMLPair], _ index: [String: Int]) -> Int? {
                if hashed { return index[key] }
                for position in pairs.indices {
                    if case .scalar(let scalar) = pairs[position].key.content, scalar.value == key { return position }
                }
                return nil
            }

            var i = 0
            while i + 1 < children.count {
                let key = children[i], value = children[i + 1]
                i += 2
                if let scalar = key.scalar, Self.isMergeKey(scalar) {
                    if let first = mergeKeyMark {
                        errors.append(YAMLError(at: key.mark, "duplicate key '<<'", related: first))
                        continue
                    }
                    mergeKeyMark = key.mark
                    switch value.content {
                    case .mapping:
                        merges.append(value)
                    case .sequence(let items) where items.allSatisfy({ $0.mapping != nil }):
                        merges.append(contentsOf: items)
                    default:
                        errors.append(YAMLError(
                            at: value.mark, "merge key '<<' needs a mapping or a sequence of mappings"))
                    }
                    continue
                }
                if let name = key.scalar?.value {
                    if let first = find(name, pairs, index) {
                        errors.append(YAMLError(at: key.mark, "duplicate key '\(DiagnosticText.shown(name))'", related: pairs[first].key.mark))
                        continue
                    }
                    if hashed { index[name] = pairs.count }
                }
                pairs.append(YAMLPair(key: key, value: value))
            }
            // A small mapping can merge a big one (`x: {<<: *all}`): count what the merges bring before choosing to
            // scan, or each merged key scans all before it and a 300 KB file takes half a minute.
            if !hashed, pairs.count + merges.reduce(0, { $0 + ($1.mapping?.count ?? 0) }) > 32 {
                hashed = true
                for (position, pair) in pairs.enumerated() {
                    if let name = pair.key.scalar?.value { index[name] = position }
                }
            }
            for source in merges {
                for pair in source.mapping ?? [] {
                    if let name = pair.key.scalar?.value {
                        if find(name, pairs, index) != nil { continue }
                        if hashed { index[name] = pairs.count }
                    }
                    pairs.append(pair)
                }
            }
            return pairs
        }

        static func isMergeKey(_ scalar: YAMLScalar) -> Bool {
            guard scalar.value == "<<" else { return false }
            return scalar.tag == "tag:yaml.org,2002:merge" || (scalar.tag == nil && scalar.style == .plain)
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
