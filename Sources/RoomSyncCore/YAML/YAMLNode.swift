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

    /// The tree's storage seen through raw pointers, valid only inside `withStorage`.
    struct Storage {
        let records: UnsafeBufferPointer<Record>
        let text: UnsafeBufferPointer<UInt8>
        let children: UnsafeBufferPointer<Int32>
        /// Not counted: `withStorage` holds the tree.
        unowned(unsafe) let tree: YAMLTree

        func bytes(of record: Record) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: text[Int(record.start)..<Int(record.start + record.count)])
        }
    }

    /// Calls `body` with the storage, which the tree keeps alive and unchanged until `body` returns.
    func withStorage<Result>(_ body: (Storage) throws -> Result) rethrows -> Result {
        try records.withUnsafeBufferPointer { records in
            try text.withUnsafeBufferPointer { text in
                try children.withUnsafeBufferPointer { children in
                    try body(Storage(records: records, text: text, children: children, tree: self))
                }
            }
        }
    }
}

/// A node read through its tree's storage (`YAMLTree.withStorage`), for code that reads many nodes in a row, such
/// as the manifest decoder. A `YAMLNode` holds its tree, so each one made or copied counts a reference on it; at
/// dozens per room, on one object that two cores decoding a file's rooms both wrote, that counting made the
/// decode slower on two cores than on one. A view counts nothing, and must not outlive the `withStorage` call.
struct YAMLView {
    let storage: YAMLTree.Storage
    let index: Int32

    private var record: YAMLTree.Record { storage.records[Int(index)] }

    var kind: YAMLNode.Kind {
        switch record.kind {
        case .scalar: .scalar
        case .sequence: .sequence
        case .mapping: .mapping
        }
    }

    var mark: YAMLMark {
        let record = record
        return YAMLMark(line: Int(record.line), column: Int(record.column))
    }

    var scalar: YAMLScalar? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return YAMLScalar(
            value: String(decoding: storage.bytes(of: record), as: UTF8.self),
            tag: record.tagged ? storage.tree.tags[index] : nil, style: record.style)
    }

    /// What a scalar means (`nil` for a collection), decided on its bytes: no String is made unless it has a tag.
    var scalarKind: YAMLScalarKind? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return YAMLScalar.kind(
            of: storage.bytes(of: record), tag: record.tagged ? storage.tree.tags[index] : nil, style: record.style)
    }

    var text: String? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return String(decoding: storage.bytes(of: record), as: UTF8.self)
    }

    func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        let record = record
        guard record.kind == .scalar else { return nil }
        return body(storage.bytes(of: record))
    }

    var sequence: Items? {
        let record = record
        guard record.kind == .sequence else { return nil }
        return Items(storage: storage, start: Int(record.start), count: Int(record.count))
    }

    var mapping: Pairs? {
        let record = record
        guard record.kind == .mapping else { return nil }
        return Pairs(storage: storage, start: Int(record.start), count: Int(record.count) / 2)
    }

    /// The items of a sequence.
    struct Items: RandomAccessCollection {
        let storage: YAMLTree.Storage
        let start: Int
        let count: Int

        var startIndex: Int { 0 }
        var endIndex: Int { count }

        subscript(position: Int) -> YAMLView {
            precondition(position >= 0 && position < count, "YAMLView.Items index out of range")
            return YAMLView(storage: storage, index: storage.children[start + position])
        }
    }

    /// The key/value pairs of a mapping.
    struct Pairs: RandomAccessCollection {
        let storage: YAMLTree.Storage
        let start: Int
        let count: Int

        var startIndex: Int { 0 }
        var endIndex: Int { count }

        subscript(position: Int) -> (key: YAMLView, value: YAMLView) {
            precondition(position >= 0 && position < count, "YAMLView.Pairs index out of range")
            let at = start + 2 * position
            return (YAMLView(storage: storage, index: storage.children[at]), YAMLView(storage: storage, index: storage.children[at + 1]))
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

    init(_ view: YAMLView) {
        self.init(tree: view.storage.tree, index: view.index)
    }

    /// Calls `body` with this node as a view, valid until `body` returns.
    func withView<Result>(_ body: (YAMLView) throws -> Result) rethrows -> Result {
        try tree.withStorage { try body(YAMLView(storage: $0, index: index)) }
    }

    public var kind: Kind { withView(\.kind) }

    public var mark: YAMLMark { withView(\.mark) }

    /// The scalar's text, tag and style; `nil` for a collection.
    public var scalar: YAMLScalar? { withView(\.scalar) }

    /// What a scalar means (`nil` for a collection), decided on its bytes: no String is made unless it has a tag.
    public var scalarKind: YAMLScalarKind? { withView(\.scalarKind) }

    /// Just the text of a scalar (`nil` for a collection), without building a `YAMLScalar`.
    public var text: String? { withView(\.text) }

    /// Calls `body` with the UTF-8 bytes of a scalar's text, without making a String; `nil` for a collection.
    public func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        withView { $0.withText(body) }
    }

    /// Items in document order.
    public var sequence: YAMLSequence? {
        withView { $0.sequence.map { YAMLSequence(tree: tree, start: $0.start, count: $0.count) } }
    }

    /// Pairs in document order (explicit keys first, then keys brought in by `<<`).
    public var mapping: YAMLMapping? {
        withView { $0.mapping.map { YAMLMapping(tree: tree, start: $0.start, count: $0.count) } }
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

    init(tree: YAMLTree, start: Int, count: Int) {
        self.tree = tree
        self.start = start
        self.count = count
    }

    /// The pairs of a view, held: valid after the view's `withStorage` call.
    init(_ pairs: YAMLView.Pairs) {
        self.init(tree: pairs.storage.tree, start: pairs.start, count: pairs.count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLPair {
        precondition(position >= 0 && position < count, "YAMLMapping index out of range")
        let at = start + 2 * position
        return YAMLPair(key: YAMLNode(tree: tree, index: tree.children[at]), value: YAMLNode(tree: tree, index: tree.children[at + 1]))
    }

    /// Calls `body` with these pairs as views, valid until `body` returns.
    func withPairs<Result>(_ body: (YAMLView.Pairs) throws -> Result) rethrows -> Result {
        try tree.withStorage { try body(YAMLView.Pairs(storage: $0, start: start, count: count)) }
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
    /// What is wrong, rendered in the language of whoever prints it.
    public var text: LocalizedText
    /// A second position the message refers to, e.g. where a duplicated key was first defined.
    public var relatedMark: YAMLMark?

    public init(at mark: YAMLMark, _ text: LocalizedText, related relatedMark: YAMLMark? = nil) {
        self.mark = mark
        self.text = text
        self.relatedMark = relatedMark
    }

    /// The message in English, as machine formats and logs carry it.
    public var message: String { text.english }
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
