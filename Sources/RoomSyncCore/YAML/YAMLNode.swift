/// One scalar as written: its text, its explicit tag (if any) and how it was quoted. Typing (`10` is an
/// integer, `"10"` a string) is decided later by `kind`, so messages can say what the user actually wrote.
public struct YAMLScalar: Sendable, Hashable {
    public enum Style: UInt8, Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var value: String
    /// The resolved tag (`tag:yaml.org,2002:str` for `!!str`), or `nil` when none was written.
    public var tag: String?
    public var style: Style

    public init(value: String, tag: String? = nil, style: Style = .plain) {
        self.value = value
        self.tag = tag
        self.style = style
    }
}

/// Every node of one parsed document, stored flat: one array of fixed-size records, one arena holding the text
/// of every scalar, and one array of child indices. A 10,000-room manifest has some 200,000 nodes; as enums
/// holding arrays they cost a heap allocation, reference counting and a recursive teardown each, which took
/// several times as long as libyaml's own parse. Aliases share the anchored node's index, so the nodes form a
/// DAG and expanding an alias costs nothing here. Immutable once built.
public final class YAMLTree: Sendable {
    struct Record: Sendable {
        enum Kind: UInt8, Sendable {
            case scalar, sequence, mapping
        }

        var kind: Kind
        var style: YAMLScalar.Style
        /// The scalar has an explicit tag, kept in `tags` (few scalars have one).
        var tagged: Bool
        var line: Int32
        var column: Int32
        /// Scalars: where the text starts in `text`. Collections: where the children start in `children`.
        var start: Int32
        /// Scalars: bytes of text. Sequences: items. Mappings: keys and values alternating (twice the pairs).
        var count: Int32
    }

    let records: [Record]
    let text: [UInt8]
    let children: [Int32]
    let tags: [Int32: String]

    init(records: [Record], text: [UInt8], children: [Int32], tags: [Int32: String]) {
        self.records = records
        self.text = text
        self.children = children
        self.tags = tags
    }

    func string(start: Int32, count: Int32) -> String {
        text.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[Int(start)..<Int(start + count)]), as: UTF8.self)
        }
    }
}

/// A YAML node with its position: a view into a `YAMLTree`. Aliases are already expanded and `<<` merge keys
/// already applied, so consumers see plain data.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable, Hashable {
        case scalar, sequence, mapping
    }

    let tree: YAMLTree
    let index: Int32

    init(tree: YAMLTree, index: Int32) {
        self.tree = tree
        self.index = index
    }

    private var record: YAMLTree.Record { tree.records[Int(index)] }

    public var kind: Kind {
        switch record.kind {
        case .scalar: .scalar
        case .sequence: .sequence
        case .mapping: .mapping
        }
    }

    public var mark: YAMLMark {
        let record = record
        return YAMLMark(line: Int(record.line), column: Int(record.column))
    }

    /// The scalar's text, tag and style; `nil` for a collection.
    public var scalar: YAMLScalar? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return YAMLScalar(
            value: tree.string(start: record.start, count: record.count),
            tag: record.tagged ? tree.tags[index] : nil, style: record.style)
    }

    /// Just the text of a scalar (`nil` for a collection), without building a `YAMLScalar`.
    public var text: String? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return tree.string(start: record.start, count: record.count)
    }

    /// Calls `body` with the UTF-8 bytes of a scalar's text, without making a String; `nil` for a collection.
    public func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return tree.text.withUnsafeBufferPointer { text in
            body(UnsafeBufferPointer(rebasing: text[Int(record.start)..<Int(record.start + record.count)]))
        }
    }

    /// Items in document order.
    public var sequence: YAMLSequence? {
        let record = record
        guard record.kind == .sequence else { return nil }
        return YAMLSequence(tree: tree, start: Int(record.start), count: Int(record.count))
    }

    /// Pairs in document order (explicit keys first, then keys brought in by `<<`).
    public var mapping: YAMLMapping? {
        let record = record
        guard record.kind == .mapping else { return nil }
        return YAMLMapping(tree: tree, start: Int(record.start), count: Int(record.count) / 2)
    }
}

/// The items of a sequence node.
public struct YAMLSequence: RandomAccessCollection, Sendable {
    let tree: YAMLTree
    let start: Int
    public let count: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLNode {
        precondition(position >= 0 && position < count, "YAMLSequence index out of range")
        return YAMLNode(tree: tree, index: tree.children[start + position])
    }
}

/// The key/value pairs of a mapping node.
public struct YAMLMapping: RandomAccessCollection, Sendable {
    let tree: YAMLTree
    let start: Int
    public let count: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLPair {
        precondition(position >= 0 && position < count, "YAMLMapping index out of range")
        let at = start + 2 * position
        return YAMLPair(key: YAMLNode(tree: tree, index: tree.children[at]), value: YAMLNode(tree: tree, index: tree.children[at + 1]))
    }
}

/// One key/value pair of a mapping.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A problem in the YAML text itself (syntax, duplicate keys, aliases, limits).
public struct YAMLError: Error, Sendable, Hashable {
    public var mark: YAMLMark
    public var message: String
    /// A second position the message refers to, e.g. where a duplicated key was first defined.
    public var relatedMark: YAMLMark?

    public init(at mark: YAMLMark, _ message: String, related relatedMark: YAMLMark? = nil) {
        self.mark = mark
        self.message = message
        self.relatedMark = relatedMark
    }
}

/// The result of parsing one YAML stream: the document (if any could be built) and every error found.
public struct YAMLDocument: Sendable {
    /// `nil` when the stream holds no document (empty or only comments) or a fatal error stopped parsing.
    public var root: YAMLNode?
    public var errors: [YAMLError]

    public init(root: YAMLNode?, errors: [YAMLError]) {
        self.root = root
        self.errors = errors
    }
}

/// Bounds that keep hostile input from exhausting the stack or memory.
public struct YAMLLimits: Sendable, Hashable {
    /// Deepest nesting of sequences and mappings accepted.
    public var maxDepth: Int
    /// Nodes that alias expansion may add in total, at the least; a "billion laughs" document hits this almost at
    /// once. A scalar counts as one node per `bytesPerNode` bytes of its text (at least one), so aliases can copy
    /// at least about 16 MB of text in all.
    public var maxAliasExpansion: Int
    /// Nodes alias expansion may add per byte of the document, when that allows more than `maxAliasExpansion`
    /// (SPEC 2: the bound is proportional to the document). A 100,000-room file whose rooms all merge a building
    /// anchor expands a few nodes per room, far below one per byte; a bomb expands exponentially in its size and
    /// still stops at once. Zero keeps the bound fixed.
    public var aliasExpansionPerByte: Int

    /// How many bytes of a scalar count as one node towards the expansion bound.
    public static let bytesPerNode = 16

    public init(maxDepth: Int = 512, maxAliasExpansion: Int = 1_000_000, aliasExpansionPerByte: Int = 0) {
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
        self.aliasExpansionPerByte = aliasExpansionPerByte
    }

    /// What manifests are read with: a floor of a million nodes, and one node per byte above it.
    public static let `default` = YAMLLimits(aliasExpansionPerByte: 1)

    /// The expansion bound for a document of `bytes` bytes.
    public func aliasExpansionBound(forDocumentOf bytes: Int) -> Int {
        max(maxAliasExpansion, bytes.multipliedReportingOverflow(by: aliasExpansionPerByte).partialValue)
    }
}
