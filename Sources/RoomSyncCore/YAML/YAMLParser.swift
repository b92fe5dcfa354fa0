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
    struct Frame {
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

    struct Fatal: Error {
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
