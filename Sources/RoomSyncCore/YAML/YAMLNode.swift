/// A 1-based position in a YAML text, as libyaml's marks are 0-based.
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// One scalar as written: its text, its explicit tag (if any) and how it was quoted. Typing (`10` is an
/// integer, `"10"` a string) is decided later by `kind`, so messages can say what the user actually wrote.
public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable {
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

/// A YAML node with its position. Aliases are already expanded and `<<` merge keys already applied, so
/// consumers see plain data.
public struct YAMLNode: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        /// Pairs in document order (explicit keys first, then keys brought in by `<<`).
        case mapping([YAMLPair])
    }

    public var content: Content
    public var mark: YAMLMark

    public init(_ content: Content, mark: YAMLMark) {
        self.content = content
        self.mark = mark
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }
}

/// One key/value pair of a mapping.
public struct YAMLPair: Sendable, Hashable {
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
    /// Nodes that alias expansion may add in total; a "billion laughs" document hits this almost at once. A
    /// scalar counts as one node per `bytesPerNode` bytes of its text (at least one), so aliases can copy at
    /// most about 16 MB of text in all.
    public var maxAliasExpansion: Int

    /// How many bytes of a scalar count as one node towards `maxAliasExpansion`.
    public static let bytesPerNode = 16

    public init(maxDepth: Int = 512, maxAliasExpansion: Int = 1_000_000) {
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
    }

    public static let `default` = YAMLLimits()
}
