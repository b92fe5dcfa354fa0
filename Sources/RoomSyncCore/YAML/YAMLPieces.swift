import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a big manifest can be cut so that libyaml reads the pieces on several cores at once.
///
/// libyaml is the largest single cost of reading a big manifest and it reads on one core. A manifest is almost all
/// one block mapping, `rooms:`, whose entries start on lines at the same indentation; cut at such lines, every
/// piece after the first is a block mapping of its own, and the events libyaml gives for it are, between its
/// root mapping's start and end, exactly the events it gives for those lines inside the whole file. The builder
/// replays the pieces' events in order, so anchors, aliases, merges, duplicate keys and every bound work as in
/// one pass.
///
/// A cut is only made where it cannot change what the text means, and a piece that does not read cleanly sends
/// the whole file back to one pass: a cut inside a quoted scalar or a flow collection leaves the piece before it
/// unterminated, which libyaml reports; a block scalar or a plain scalar cannot reach a line at the entries'
/// indentation. Cutting needs `rooms:` to be the last thing in the file, no directive (`%TAG`), and no line
/// breaks but `\n`
/// (libyaml also breaks lines at `\r`, NEL, LS and PS, which would shift the line numbers counted here).
struct YAMLPieces {
    /// Each piece's first byte and the lines before it; the first piece starts at 0.
    var starts: [(offset: Int, linesBefore: Int)]
    /// The indentation of the rooms' keys.
    var indentation: Int

    /// Smaller files are read in one pass: cutting them saves too little.
    static let minimumBytes = 256 * 1024
    static let bytesPerPiece = 128 * 1024
    /// A piece's event log holds several times its bytes, and a file handed out in batches keeps a piece's rooms
    /// in its tree: at 100,000 rooms (17 MB), 64 pieces rather than 32 took some 10 MB off a plan's peak.
    static let maximumPieces = 64

    var count: Int { starts.count }

    func range(of piece: Int, in input: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        starts[piece].offset..<(piece + 1 < starts.count ? starts[piece + 1].offset : input.count)
    }

    /// The pieces of `input`, or nil when it is too small or cannot be cut safely.
    init?(cutting input: UnsafeBufferPointer<UInt8>, minimumBytes: Int = Self.minimumBytes,
          bytesPerPiece: Int = Self.bytesPerPiece) {
        guard input.count >= minimumBytes, let base = input.baseAddress, Self.breaksLinesOnlyAtNewline(input) else {
            return nil
        }
        let count = input.count
        var candidates: [(offset: Int, linesBefore: Int)] = []
        var indentation: Int?
        var inRooms = false
        var lineStart = 0, line = 0
        while lineStart < count {
            let end = memchr(base + lineStart, Int32(UInt8(ascii: "\n")), count - lineStart)
                .map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? count
            var indent = 0
            while lineStart + indent < end && input[lineStart + indent] == UInt8(ascii: " ") { indent += 1 }
            let first: UInt8? = lineStart + indent < end ? input[lineStart + indent] : nil
            if inRooms {
                // Blank lines and comments go with the entry before them.
                if let first, first != UInt8(ascii: "#") {
                    // Anything at column 0 after the rooms (another key, `---`) would end the mapping.
                    guard indent > 0 else { return nil }
                    if let indentation {
                        guard indent >= indentation else { return nil }
                        if indent == indentation && Self.startsAKey(first) { candidates.append((lineStart, line)) }
                    } else {
                        guard Self.startsAKey(first) else { return nil }
                        indentation = indent
                    }
                }
            } else if indent == 0 && Self.isRoomsLine(input, from: lineStart, to: end) {
                inRooms = true
            } else if indent == 0 && first == UInt8(ascii: "%") {
                // A directive (`%TAG ! …`) applies to the document that declares it, which only the first piece
                // would be: later pieces would resolve `!` and `!!` tags differently, and read cleanly.
                return nil
            }
            lineStart = end + 1
            line += 1
        }
        guard let indentation, !candidates.isEmpty else { return nil }
        let wanted = min(Self.maximumPieces, max(2, count / bytesPerPiece))
        var starts: [(offset: Int, linesBefore: Int)] = [(0, 0)]
        var next = 0
        for piece in 1..<wanted {
            let target = piece * count / wanted
            while next < candidates.count && candidates[next].offset < target { next += 1 }
            guard next < candidates.count else { break }
            starts.append(candidates[next])
            next += 1
        }
        self.starts = starts
        self.indentation = indentation
    }

    /// `rooms:` alone on its line (a comment after it allowed): the mapping's entries follow on the next lines.
    private static func isRoomsLine(_ input: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        let key = Array("rooms:".utf8)
        guard end - start >= key.count, input[start..<(start + key.count)].elementsEqual(key) else { return false }
        var index = start + key.count
        while index < end && input[index] == UInt8(ascii: " ") { index += 1 }
        return index == end || (index > start + key.count && input[index] == UInt8(ascii: "#"))
    }

    /// The first character of a plain key that a cut can start at.
    private static func startsAKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// No `\r`, NEL (C2 85), LS (E2 80 A8) or PS (E2 80 A9) anywhere: lines are counted by `\n` alone.
    private static func breaksLinesOnlyAtNewline(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = input.baseAddress else { return true }
        let count = input.count
        if memchr(base, Int32(UInt8(ascii: "\r")), count) != nil { return false }
        for (lead, second, thirds) in [(UInt8(0xC2), UInt8(0x85), [UInt8]()), (0xE2, 0x80, [0xA8, 0xA9])] {
            var from = 0
            while from < count, let found = memchr(base + from, Int32(lead), count - from) {
                let at = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                if at + 1 < count && input[at + 1] == second {
                    if thirds.isEmpty { return false }
                    if at + 2 < count && thirds.contains(input[at + 2]) { return false }
                }
                from = at + 1
            }
        }
        return true
    }
}

/// The pieces' logs, read by the caller and by one helper thread at once: each claims the next piece not yet
/// claimed, so the caller can always go on alone and never waits for a piece nobody is reading.
final class YAMLPieceReading: @unchecked Sendable {
    private let input: UnsafeBufferPointer<UInt8>
    private let pieces: YAMLPieces
    private let maxDepth: Int
    /// One slot per piece, written by whoever read it before it signals `read[piece]`, taken by the builder after.
    private let logs: UnsafeMutablePointer<YAMLEventLog?>
    private let read: [DispatchSemaphore]
    private let claimed = Atomic<Int>(0)
    private let abandoned = Atomic<Bool>(false)
    /// Pieces the helper may read ahead of the builder: each log holds several times its piece's size, and a
    /// helper that read a 100,000-room file to its end before the builder caught up held them all at once.
    private let ahead: DispatchSemaphore
    static let window = 4

    /// The caller keeps `input` alive until it has taken every piece.
    init(_ input: UnsafeBufferPointer<UInt8>, pieces: YAMLPieces, maxDepth: Int) {
        self.input = input
        self.pieces = pieces
        self.maxDepth = maxDepth
        logs = .allocate(capacity: pieces.count)
        logs.initialize(repeating: nil, count: pieces.count)
        read = (0..<pieces.count).map { _ in DispatchSemaphore(value: 0) }
        ahead = DispatchSemaphore(value: Self.window)
    }

    deinit {
        logs.deinitialize(count: pieces.count)
        logs.deallocate()
    }

    /// The helper thread's loop: reads pieces while any are left, at most `window` ahead of the builder.
    func helpRead() {
        repeat { ahead.wait() } while readNext()
        // The permit of the claim that found nothing left: a semaphore freed below its initial value traps.
        ahead.signal()
    }

    /// Reads the next piece nobody has claimed; false when none is left.
    @discardableResult
    func readNext() -> Bool {
        let piece = claimed.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
        guard piece < pieces.count else { return false }
        if !abandoned.load(ordering: .sequentiallyConsistent) {
            let range = pieces.range(of: piece, in: input)
            let reader = LibYAMLReader(
                UnsafeBufferPointer(rebasing: input[range]), linesBefore: pieces.starts[piece].linesBefore, maxDepth: maxDepth)
            var log = YAMLEventLog()
            reader.read(into: &log)
            logs[piece] = log
        }
        read[piece].signal()
        return true
    }

    /// The log of `piece`; nil once abandoned. While it is not read yet, the caller reads the next piece nobody
    /// has claimed (which is `piece` itself if the helper has not got to it) rather than wait.
    func take(_ piece: Int) -> YAMLEventLog? {
        while read[piece].wait(timeout: .now()) == .timedOut {
            if !readNext() {
                read[piece].wait()
                break
            }
        }
        defer {
            logs[piece] = nil
            ahead.signal()
        }
        return logs[piece]
    }

    /// The pieces not read yet are skipped (a piece did not read cleanly; the file is read in one pass).
    func abandon() {
        abandoned.store(true, ordering: .sequentiallyConsistent)
    }
}
