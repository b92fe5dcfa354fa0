import CLibYAML

/// libyaml's events for a stretch of input, copied out of libyaml into a few flat arrays: what the tree builder
/// replays. Reading and building are separate so that the stretches of a big manifest can be read on several
/// cores at once (`YAMLPieces`) and built, in order, by one builder.
struct YAMLEventLog {
    enum Kind: UInt8 {
        case streamStart, documentStart, documentEnd, streamEnd
        case scalar, alias, sequenceStart, sequenceEnd, mappingStart, mappingEnd
    }

    struct Event {
        var kind: Kind
        var style: YAMLScalar.Style
        /// A collection written in flow style (`{…}`, `[…]`).
        var isFlow: Bool
        /// 1-based, in the whole input (a piece's reader adds the lines before it).
        var line: Int32
        var column: Int32
        /// Scalars: their text in `text`.
        var start: Int32
        var count: Int32
        /// Indices in `names`, or -1: the anchor (the alias's target for an alias), the tag (a collection's is only
        /// looked at when cutting a file into pieces; the tree keeps scalars' tags alone, as it always did).
        var anchor: Int32
        var tag: Int32
    }

    var events: [Event] = []
    var text: [UInt8] = []
    var names: [String] = []
    /// libyaml's error, which comes after the last event.
    var failure: YAMLError?
    /// Nothing follows: the stream ended, libyaml failed, or nesting went deeper than the builder accepts (the
    /// builder stops at the last event with the depth error of its own).
    var isFinished = false

    func name(_ index: Int32) -> String? {
        index < 0 ? nil : names[Int(index)]
    }

    mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        names.removeAll(keepingCapacity: true)
    }
}

/// One libyaml parser over a stretch of input that the caller keeps alive, owned here and freed in `deinit`.
/// It reads events into a `YAMLEventLog`, a batch at a time.
final class LibYAMLReader {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeBufferPointer<UInt8>
    /// Lines of the whole input before this stretch, added to every mark.
    private let linesBefore: Int32
    private let maxDepth: Int
    private var depth = 0

    init(_ input: UnsafeBufferPointer<UInt8>, linesBefore: Int = 0, maxDepth: Int) {
        self.input = input
        self.linesBefore = Int32(linesBefore)
        self.maxDepth = maxDepth
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        yaml_parser_initialize(parser)
        // libyaml wants a non-null pointer even for no input.
        let base = input.baseAddress ?? UnsafePointer(bitPattern: 1)!
        yaml_parser_set_input_string(parser, base, input.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deinitialize(count: 1)
        parser.deallocate()
    }

    /// Appends up to `limit` events to `log`, fewer if the log finishes.
    func read(into log: inout YAMLEventLog, limit: Int = .max) {
        var event = yaml_event_t()
        var read = 0
        while read < limit && !log.isFinished {
            guard yaml_parser_parse(parser, &event) == 1 else {
                log.failure = libyamlError()
                log.isFinished = true
                return
            }
            defer { yaml_event_delete(&event) }
            read += 1
            var entry = YAMLEventLog.Event(
                kind: .streamStart, style: .plain, isFlow: false, line: Int32(event.start_mark.line) + 1 + linesBefore,
                column: Int32(event.start_mark.column) + 1, start: 0, count: 0, anchor: -1, tag: -1)
            switch event.type {
            case YAML_STREAM_START_EVENT:
                entry.kind = .streamStart
            case YAML_DOCUMENT_START_EVENT:
                entry.kind = .documentStart
            case YAML_DOCUMENT_END_EVENT:
                entry.kind = .documentEnd
            case YAML_STREAM_END_EVENT:
                entry.kind = .streamEnd
                log.isFinished = true
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                entry.kind = .scalar
                entry.style = Self.style(data.style)
                entry.start = Int32(log.text.count)
                entry.count = Int32(data.length)
                log.text.append(contentsOf: UnsafeBufferPointer(start: data.value, count: data.length))
                entry.anchor = Self.record(data.anchor, in: &log)
                entry.tag = Self.record(data.tag, in: &log)
            case YAML_ALIAS_EVENT:
                entry.kind = .alias
                entry.anchor = Self.record(event.data.alias.anchor, in: &log)
            case YAML_SEQUENCE_START_EVENT:
                entry.kind = .sequenceStart
                entry.isFlow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                entry.anchor = Self.record(event.data.sequence_start.anchor, in: &log)
                entry.tag = Self.record(event.data.sequence_start.tag, in: &log)
                depth += 1
            case YAML_MAPPING_START_EVENT:
                entry.kind = .mappingStart
                entry.isFlow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                entry.anchor = Self.record(event.data.mapping_start.anchor, in: &log)
                entry.tag = Self.record(event.data.mapping_start.tag, in: &log)
                depth += 1
            case YAML_SEQUENCE_END_EVENT:
                entry.kind = .sequenceEnd
                depth -= 1
            case YAML_MAPPING_END_EVENT:
                entry.kind = .mappingEnd
                depth -= 1
            default:
                continue
            }
            log.events.append(entry)
            // Nesting past the builder's bound is an error there; reading on would only grow libyaml's stacks.
            if depth > maxDepth { log.isFinished = true }
        }
    }

    private static func record(_ pointer: UnsafeMutablePointer<yaml_char_t>?, in log: inout YAMLEventLog) -> Int32 {
        guard let pointer else { return -1 }
        log.names.append(String(cString: pointer))
        return Int32(log.names.count - 1)
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

    private func mark(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: mark.line + 1 + Int(linesBefore), column: mark.column + 1)
    }

    /// libyaml's error as a located one-line message. Reader errors (encoding) carry a byte offset instead of a
    /// mark, so their position is computed from the input.
    private func libyamlError() -> YAMLError {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "unknown error"
        if p.error == YAML_READER_ERROR {
            // libyaml points at the offending octet; a bad trailing octet belongs to the character its lead
            // byte starts, which is where an editor shows the damage.
            var offset = min(p.problem_offset, input.count)
            if problem.contains("trailing") {
                var back = offset
                while back > 0, offset - back < 3 {
                    back -= 1
                    if input[back] & 0xC0 == 0xC0 { offset = back; break }
                }
            }
            let mark = position(ofByte: offset)
            if problem.contains("control characters") {
                return YAMLError(at: mark, LocalizedText(.yamlControlCharacters))
            }
            return YAMLError(at: mark, LocalizedText(.yamlNotUTF8, ["problem": problem]))
        }
        let mark = self.mark(p.problem_mark)
        if character(at: mark) == UInt8(ascii: "\t") {
            return YAMLError(at: mark, LocalizedText(.yamlTab))
        }
        // libyaml's own words (problem and context) stay as libyaml gives them; only the frame is ours.
        guard let context = p.context.map({ String(cString: $0) }) else {
            return YAMLError(at: mark, LocalizedText(.yamlInvalid, ["problem": problem]))
        }
        let contextMark = self.mark(p.context_mark)
        if contextMark == mark {
            return YAMLError(at: mark, LocalizedText(.yamlInvalidInContext, ["problem": problem, "context": context]))
        }
        return YAMLError(
            at: mark, LocalizedText(.yamlInvalidInContextAt, ["problem": problem, "context": context, "start": "\(contextMark)"]))
    }

    /// Line and column (in characters) of a byte offset, for reader errors.
    private func position(ofByte offset: Int) -> YAMLMark {
        var line = 1 + Int(linesBefore), column = 1
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
        var line = 1 + Int(linesBefore), column = 1
        for byte in input {
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
