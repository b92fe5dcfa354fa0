import CLibYAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension YAMLParser {
    /// The tree under construction; separate from the class so the hot loop works on a local value.
    struct Builder {
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
        /// How many nodes aliases may add in this document: in proportion to its size, with a floor.
        let expansionBound: Int
        var documents = 0
        var errors: [YAMLError] = []
        /// Where the tree ended when the last anchor was defined: a tree whose rooms are handed out in batches
        /// (`flushRooms`) is never cut below it, so every alias still finds its node.
        var anchored = Extent()
        /// Where the tree ended when the root's last child collection began (the rooms mapping, once it has):
        /// what `flushRooms` cuts back to, and raises to `anchored` after each batch.
        var batchFloor = Extent()
        /// Hashes of the room keys already handed out, to catch a key defined again in a later batch.
        var flushedKeys: Set<UInt64> = []

        /// How far the tree's three arrays reach.
        struct Extent {
            var records = 0, children = 0, text = 0
        }

        /// `inputBytes` sets the alias bound; `reserving` (the bytes the tree is expected to hold at once, the
        /// input's unless its rooms are handed out in batches) the arrays' first capacity.
        init(limits: YAMLLimits, inputBytes: Int, reserving reservedBytes: Int? = nil) {
            self.limits = limits
            self.expansionBound = limits.aliasExpansionBound(forDocumentOf: inputBytes)
            let bytes = reservedBytes ?? inputBytes
            // Scalars' text is never longer than the input, and a node takes at least a few bytes of it.
            text.reserveCapacity(bytes)
            records.reserveCapacity(bytes / 8 + 16)
            children.reserveCapacity(bytes / 8 + 16)
        }

        var extent: Extent { Extent(records: records.count, children: children.count, text: text.count) }

        func finish() -> YAMLTree {
            YAMLTree(records: records, text: text, children: children, tags: tags)
        }

        /// Builds from `log.events[range]`, in order. Returns false once the document is over: the stream ended,
        /// or a second document began (an error).
        mutating func replay(_ log: YAMLEventLog, _ range: Range<Int>) throws -> Bool {
            try log.text.withUnsafeBufferPointer { text in
                for event in log.events[range] {
                    switch event.kind {
                    case .streamEnd:
                        return false
                    case .documentStart:
                        documents += 1
                        if documents > 1 {
                            errors.append(YAMLError(
                                at: YAMLMark(line: Int(event.line), column: Int(event.column)),
                                LocalizedText(.yamlOneDocument)))
                            return false
                        }
                    case .scalar:
                        let bytes = UnsafeBufferPointer(rebasing: text[Int(event.start)..<Int(event.start + event.count)])
                        let index = scalar(bytes, tag: log.name(event.tag), style: event.style, line: event.line, column: event.column)
                        // What an alias of a scalar costs grows with its length: every use of a value is read at
                        // least once, so a 300 KB number aliased as the capacity of 20,000 rooms (one 1 MB file)
                        // took minutes while counting as only 20,000 nodes.
                        let size = 1 + bytes.count / YAMLLimits.bytesPerNode
                        if let anchor = log.name(event.anchor) {
                            anchors[anchor] = (index, size, 0)
                            anchored = extent
                        }
                        append(index, size: size, height: 0)
                    case .sequenceStart, .mappingStart:
                        try push(isMapping: event.kind == .mappingStart, mark: YAMLMark(line: Int(event.line), column: Int(event.column)),
                                 anchor: log.name(event.anchor))
                    case .sequenceEnd, .mappingEnd:
                        pop()
                    case .alias:
                        try alias(log.name(event.anchor) ?? "", at: YAMLMark(line: Int(event.line), column: Int(event.column)))
                    case .streamStart, .documentEnd:
                        break
                    }
                }
                return true
            }
        }

        mutating func scalar(_ bytes: UnsafeBufferPointer<UInt8>, tag: String?, style: YAMLScalar.Style, line: Int32, column: Int32) -> Int32 {
            let index = Int32(records.count)
            let start = Int32(text.count)
            text.append(contentsOf: bytes)
            records.append(Record(
                kind: .scalar, style: style, tagged: tag != nil, line: line, column: column,
                start: start, count: Int32(bytes.count)))
            if let tag { tags[index] = tag }
            return index
        }

        mutating func push(isMapping: Bool, mark: YAMLMark, anchor: String?) throws {
            // Consumers may walk the tree recursively, so depth is bounded at the source.
            guard stack.count < limits.maxDepth else {
                throw Fatal(error: YAMLError(at: mark, LocalizedText(.yamlTooDeep, ["max": String(limits.maxDepth)])))
            }
            if stack.count == 1 { batchFloor = extent }
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
            if let anchor = frame.anchor {
                anchors[anchor] = (index, frame.size, frame.height)
                anchored = extent
            }
            append(index, size: frame.size, height: frame.height)
        }

        mutating func alias(_ name: String, at mark: YAMLMark) throws {
            guard let (index, size, height) = anchors[name] else {
                throw Fatal(error: YAMLError(at: mark, LocalizedText(.yamlAliasWithoutAnchor, ["name": DiagnosticText.shown(name)])))
            }
            // The alias shares the anchored node, so memory stays flat; what grows is the work of whoever walks
            // the tree.
            expanded += size
            guard expanded <= expansionBound else {
                throw Fatal(error: YAMLError(
                    at: mark, LocalizedText(.yamlAliasBomb, ["max": String(expansionBound)])))
            }
            // An alias puts its whole subtree where it stands, so `&a [[…]]` aliased inside `&b [[… *a]]`, and so
            // on, would nest far deeper than `push` allows (tens of thousands of levels within the expansion
            // bound) and overflow the stack of whoever walks the tree recursively.
            guard stack.count + height <= limits.maxDepth else {
                throw Fatal(error: YAMLError(
                    at: mark, LocalizedText(.yamlTooDeepWithAliases, ["max": String(limits.maxDepth)])))
            }
            append(index, size: size, height: height)
        }

    }
}
