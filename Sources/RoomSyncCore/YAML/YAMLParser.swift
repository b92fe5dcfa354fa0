import CLibYAML
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one wrapper around libyaml. It pulls libyaml's *events* (not its document loader) and builds a flat
/// `YAMLTree` itself, iteratively, so that anchors, aliases, `<<` merge keys, duplicate keys and the limits on
/// depth and alias expansion are all under our control. The events are copied out of libyaml in batches
/// (`LibYAMLReader`, `YAMLEventLog`) and replayed into the builder; a big manifest is read in pieces on several
/// cores (`YAMLPieces`) and replayed in order.
///
/// Reads the input in place or from a private copy, freed in `deinit`. Only Sendable values come out.
public final class YAMLParser {
    private let input: UnsafeBufferPointer<UInt8>
    /// The copy `input` points into, when the parser made one.
    private let ownedInput: UnsafeMutableBufferPointer<UInt8>?
    private let limits: YAMLLimits
    /// Whether a big input may be read in pieces on several cores (tests compare both ways).
    var readsInPieces = YAMLParser.cores > 1
    var pieceSize = YAMLPieces.bytesPerPiece
    var piecesFrom = YAMLPieces.minimumBytes

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
    }

    deinit {
        ownedInput?.deallocate()
    }

    /// Parses the single document of the stream. Errors that leave the tree usable (duplicate keys, bad merge
    /// values) are collected and parsing goes on; syntax errors and exceeded limits stop it.
    public static func parse(_ bytes: some Collection<UInt8>, limits: YAMLLimits = .default) -> YAMLDocument {
        YAMLParser(bytes: bytes, limits: limits).parse()
    }

    /// `parse` without copying the input: a manifest is read once into an array and parsed from there.
    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = .default) -> YAMLDocument {
        withParser(over: bytes, limits: limits) { $0.parse() }
    }

    /// A parser reading `bytes` in place, for the duration of `body`.
    static func withParser<T>(over bytes: [UInt8], limits: YAMLLimits, _ body: (YAMLParser) -> T) -> T {
        bytes.withUnsafeBufferPointer { withParser(over: $0, limits: limits, body) }
    }

    /// A parser reading `buffer` in place, for the duration of `body`.
    static func withParser<T>(over buffer: UnsafeBufferPointer<UInt8>, limits: YAMLLimits, _ body: (YAMLParser) -> T) -> T {
        guard buffer.baseAddress != nil else { return body(YAMLParser(bytes: EmptyCollection(), limits: limits)) }
        return body(YAMLParser(input: buffer, owned: nil, limits: limits))
    }

    /// Told, while rooms are handed out in batches, each offset the readers will not go back before: the caller
    /// can drop the input's pages there while the rest is read. Once anything was released, a file that has to be
    /// read in one pass after all is not read from this input but handed back (`BatchedParse.inputReleased`).
    var releaseBehind: ((Int) -> Void)?

    static let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// The tree stores positions and offsets in 32 bits; no manifest comes near this.
    static let maxInputBytes = Int(Int32.max) / 2

    /// Events replayed at a time in one pass: the log stays small however big the file.
    static let batch = 4096

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
        guard input.count <= Self.maxInputBytes else { return tooLarge() }
        if readsInPieces, let pieces = YAMLPieces(cutting: input, minimumBytes: piecesFrom, bytesPerPiece: pieceSize),
           case .document(let document) = parse(in: pieces, handingOutRooms: nil) {
            return document
        }
        return parseInOnePass()
    }

    /// Files from this size that are read in pieces have their rooms handed out in batches (`parse(handingOutRooms:)`).
    /// Below it the whole tree is small (6 MB at 10,000 rooms), and decoding it after the parse, in slices on
    /// every core, is faster than decoding each batch on the parsing thread.
    var roomBatchesFrom = YAMLParser.defaultRoomBatchesFrom
    static let defaultRoomBatchesFrom = 8 << 20

    /// What `parse(handingOutRooms:)` gave.
    public enum BatchedParse {
        /// Every room was handed out in batches; the file has no YAML error.
        case handedOut
        /// The document, as `parse` gives it; whatever the batches were given is to be forgotten.
        case document(YAMLDocument)
        /// The file has to be read in one pass, but `releaseBehind` dropped part of the input: read it again and
        /// parse that. Whatever the batches were given is to be forgotten.
        case inputReleased
    }

    /// `parse`, except that a manifest read in pieces has its rooms handed to `body` a batch at a time (the
    /// rooms built since the last piece, as the `rooms` mapping of a root holding the file's other top-level
    /// entries), and the tree drops each batch once `body` has seen it: the whole tree of a big file is never
    /// in memory at once. That happens only when the file has no YAML error; otherwise the file is read in one
    /// pass. The nodes `body` gets are not to be kept.
    public func parse(handingOutRooms body: (YAMLNode) -> Void) -> BatchedParse {
        guard input.count <= Self.maxInputBytes, input.count >= roomBatchesFrom else { return .document(parse()) }
        if readsInPieces, let pieces = YAMLPieces(cutting: input, minimumBytes: piecesFrom, bytesPerPiece: pieceSize) {
            // Optional closures escape; this one does not outlive the call.
            switch withoutActuallyEscaping(body, do: { parse(in: pieces, handingOutRooms: $0) }) {
            case .document(let document): return .document(document)
            case .handedOut: return .handedOut
            case .unclean(let released): if released { return .inputReleased }
            }
        }
        return .document(parseInOnePass())
    }

    private func tooLarge() -> YAMLDocument {
        YAMLDocument(root: nil, errors: [YAMLError(
            at: YAMLMark(line: 1, column: 1), LocalizedText(.yamlTooLarge, ["bytes": String(input.count)]))])
    }

    private func parseInOnePass() -> YAMLDocument {
        var builder = Builder(limits: limits, inputBytes: input.count)
        let reader = LibYAMLReader(input, maxDepth: limits.maxDepth)
        var log = YAMLEventLog()
        do {
            while true {
                log.removeAll()
                reader.read(into: &log, limit: Self.batch)
                guard try builder.replay(log, log.events.indices) else { break }
                if let failure = log.failure { throw Fatal(error: failure) }
                if log.isFinished { break }
            }
        } catch {
            builder.errors.append((error as! Fatal).error)
            return YAMLDocument(root: nil, errors: builder.errors)
        }
        return Self.document(of: builder)
    }

    /// What reading in pieces gave.
    private enum PiecesOutcome {
        case document(YAMLDocument)
        /// Every room went to the caller in batches.
        case handedOut
        /// Anything not as a clean cut gives (a piece libyaml refuses, a limit reached, for batches any YAML
        /// error): the file is read in one pass, which reports it exactly. `released`: `releaseBehind` was told
        /// an offset, so the input is no longer whole.
        case unclean(released: Bool)
    }

    /// The document from pieces read on several cores, or its rooms in batches to `body` when one is given.
    private func parse(in pieces: YAMLPieces, handingOutRooms body: ((YAMLNode) -> Void)?) -> PiecesOutcome {
        let reading = YAMLPieceReading(input, pieces: pieces, maxDepth: limits.maxDepth)
        // A thread of its own: Dispatch's pool is as narrow as the cores and may be busy with the caller's peers.
        Thread { reading.helpRead() }.start()
        // Handed out in batches, the tree holds little more than a piece or two at a time.
        var builder = Builder(
            limits: limits, inputBytes: input.count,
            reserving: body == nil ? input.count : min(input.count, 2 * input.count / pieces.count))
        var clean = true, released = false
        // Every piece is taken, even after a failure, so that no reader is left holding the input.
        for piece in 0..<pieces.count {
            guard let log = reading.take(piece), clean else { continue }
            // Every piece up to this one has been read into its log (pieces are claimed in order).
            if body != nil, piece + 1 < pieces.count, let releaseBehind {
                releaseBehind(pieces.starts[piece + 1].offset)
                released = true
            }
            guard let events = Self.replayable(log, piece: piece, of: pieces) else {
                clean = false
                reading.abandon()
                continue
            }
            do {
                guard try builder.replay(log, events) else {
                    clean = false
                    reading.abandon()
                    continue
                }
            } catch {
                clean = false
                reading.abandon()
                continue
            }
            if let body, !builder.flushRooms(body) {
                clean = false
                reading.abandon()
            }
        }
        guard clean else { return .unclean(released: released) }
        if body != nil { return .handedOut }
        builder.pop()  // the rooms mapping
        builder.pop()  // the root mapping
        return .document(Self.document(of: builder))
    }

    /// The events of a piece that belong in the document: the first piece's without the ends of the rooms
    /// mapping, the root and the stream; the others' inside their root mapping. Nil unless the piece has exactly
    /// that shape and read cleanly.
    private static func replayable(_ log: YAMLEventLog, piece: Int, of pieces: YAMLPieces) -> Range<Int>? {
        let events = log.events
        guard log.failure == nil, log.isFinished, events.count >= 6 else { return nil }
        let tail: [YAMLEventLog.Kind] = piece == 0
            ? [.mappingEnd, .mappingEnd, .documentEnd, .streamEnd] : [.mappingEnd, .documentEnd, .streamEnd]
        guard events.suffix(tail.count).map(\.kind) == tail else { return nil }
        let end = events.count - tail.count
        if piece > 0 {
            let root = events[2]
            guard events[0].kind == .streamStart, events[1].kind == .documentStart, root.kind == .mappingStart,
                  !root.isFlow, root.anchor < 0, root.tag < 0, Int(root.column) == pieces.indentation + 1,
                  Int(root.line) == pieces.starts[piece].linesBefore + 1
            else { return nil }
            return 3..<end
        }
        // The first piece's last entry of its root must be `rooms:`, a block mapping at the cut indentation.
        guard events[2].kind == .mappingStart, !events[2].isFlow else { return nil }
        var depth = 0
        var lastOfRoot = -1
        for index in 2..<end {
            switch events[index].kind {
            case .mappingStart, .sequenceStart:
                if depth == 1 { lastOfRoot = index }
                depth += 1
            case .mappingEnd, .sequenceEnd:
                depth -= 1
            default:
                break
            }
        }
        guard lastOfRoot > 3 else { return nil }
        let rooms = events[lastOfRoot], key = events[lastOfRoot - 1]
        guard rooms.kind == .mappingStart, !rooms.isFlow, rooms.anchor < 0, rooms.tag < 0,
              Int(rooms.column) == pieces.indentation + 1, key.kind == .scalar, key.style == .plain, key.anchor < 0,
              key.tag < 0, log.text[Int(key.start)..<Int(key.start + key.count)].elementsEqual("rooms".utf8)
        else { return nil }
        return 0..<end
    }

    private static func document(of builder: Builder) -> YAMLDocument {
        let root = builder.root
        let errors = builder.errors
        let tree = builder.finish()
        return YAMLDocument(root: root.map { YAMLNode(tree: tree, index: $0) }, errors: errors)
    }
}
