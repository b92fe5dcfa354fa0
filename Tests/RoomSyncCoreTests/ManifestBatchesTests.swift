import Foundation
@testable import RoomSyncCore
import RoomSyncCoreTestSupport
import Testing

/// A big manifest's rooms are decoded a batch at a time while the file is read (`YAMLParser.parse(handingOutRooms:)`,
/// `ManifestReader.RoomBatches`), so that its whole YAML tree is never in memory. Whatever the text, the entries,
/// diagnostics and operations must be exactly those of decoding the tree of one pass. Pieces are made tiny here so
/// that small texts are handed out in many batches.
@Suite struct ManifestBatchesTests {
    /// One file's decoding, with pieces of `pieceSize` bytes and its rooms handed out in batches (nil: one pass).
    static func decode(_ bytes: [UInt8], pieceSize: Int?)
        -> (entries: [ManifestDecoder.Entry], rooms: [DesiredRoom], diagnostics: [Diagnostic], operations: ManifestOperations) {
        var bytes = bytes
        var diagnostics: [Diagnostic] = []
        var operations = ManifestOperations()
        let (entries, rooms) = ManifestReader.decode(
            &bytes, file: "rooms.yaml", limits: .default, diagnostics: &diagnostics, operations: &operations
        ) { parser in
            if let pieceSize {
                parser.readsInPieces = true
                parser.pieceSize = pieceSize
                parser.piecesFrom = 0
                parser.roomBatchesFrom = 0
            } else {
                parser.readsInPieces = false
            }
        }
        return (entries, rooms, diagnostics, operations)
    }

    /// Everything one file's decoding gives, as text to compare.
    static func decoded(_ bytes: [UInt8], pieceSize: Int?) -> String {
        let (entries, rooms, diagnostics, operations) = decode(bytes, pieceSize: pieceSize)
        var lines = entries.map { "\($0.key) \($0.origin) \($0.room >= 0 ? "\(rooms[Int($0.room)])" : "-")" }
        lines += diagnostics.map { "\($0)" }
        lines.append("\(operations)")
        return lines.joined(separator: "\n")
    }

    /// How many batches `body` was given, and the most nodes a batch's tree held.
    static func batches(_ bytes: [UInt8], pieceSize: Int) -> (count: Int, largestTree: Int, document: YAMLDocument?) {
        var count = 0, largest = 0
        let document = YAMLParser.withParser(over: bytes, limits: .default) { parser -> YAMLDocument? in
            parser.readsInPieces = true
            parser.pieceSize = pieceSize
            parser.piecesFrom = 0
            parser.roomBatchesFrom = 0
            switch parser.parse(handingOutRooms: { root in
                count += 1
                largest = max(largest, root.tree.records.count)
            }) {
            case .handedOut: return nil
            case .document(let document): return document
            case .inputReleased:
                Issue.record("nothing was released")
                return nil
            }
        }
        return (count, largest, document)
    }

    static let texts: [(String, String)] = YAMLPiecesTests.texts + [
        ("errors in rooms", YAMLPiecesTests.manifest(rooms: 30) { index in
            switch index {
            case 4: "  Bad_Key:\n    name: x\n    capacity: 1\n"
            case 9: "  no-name:\n    capacity: 3\n"
            case 17: "  bad-capacity:\n    name: y\n    capacity: lots\n"
            case 23: "  not-a-mapping: 12\n"
            default: ""
            }
        }),
        ("an anchored room aliased later", YAMLPiecesTests.manifest(rooms: 30) { index in
            switch index {
            case 2: "  model: &model\n    name: model\n    capacity: 2\n    equipment: [tv]\n"
            case 25: "  copy: *model\n"
            default: ""
            }
        }),
        ("a merge key among the rooms", YAMLPiecesTests.manifest(rooms: 30) { $0 == 12 ? "  <<: {extra: {name: e, capacity: 1}}\n" : "" }),
        ("a duplicate field in a late room", YAMLPiecesTests.manifest(rooms: 30) + "  late:\n    name: a\n    name: b\n"),
        ("a key written twice with different quoting", YAMLPiecesTests.manifest(rooms: 30) + "  \"room-3\":\n    name: again\n"),
        ("operations and defaults before the rooms",
         "version: 1\ndefaults:\n  capacity: 4\n  equipment: [phone]\nmoved:\n  - {from: old, to: room-1}\nimport:\n  - {key: room-2, meetingroom_id: 7}\nprune:\n  exclude: [keep-*]\n"
            + YAMLPiecesTests.manifest(rooms: 25).split(separator: "\n", omittingEmptySubsequences: false).dropFirst(4).joined(separator: "\n")),
        ("a duplicate top-level key", "version: 1\nversion: 1\n" + YAMLPiecesTests.manifest(rooms: 25).replacingOccurrences(of: "version: 1\n", with: "")),
        ("a tagged anchor and tagged values", YAMLPiecesTests.manifest(rooms: 30) { index in
            switch index {
            case 3: "  tagged:\n    name: !!str 12\n    capacity: !!int 3\n    city: &c !!str 上海\n    building: B\n    floor: 1F\n"
            case 20: "  later:\n    name: later\n    capacity: 1\n    city: *c\n    building: B\n    floor: 2F\n"
            default: ""
            }
        }),
    ]

    @Test(arguments: texts.map(\.0))
    func batchesDecodeAsTheWholeTreeDoes(name: String) throws {
        let text = try #require(Self.texts.first { $0.0 == name }?.1)
        let bytes = Array(text.utf8)
        let expected = Self.decoded(bytes, pieceSize: nil)
        for size in [40, 97, 256, 1_000] {
            #expect(Self.decoded(bytes, pieceSize: size) == expected, "\(name), pieces of \(size) bytes")
        }
    }

    /// A manifest without errors: buildings anchored in their first room and merged into the others.
    static func cleanManifest(rooms: Int) -> String {
        var text = "version: 1\ndefaults:\n  capacity: 8\n  equipment: [tv]\nrooms:\n"
        for index in 0..<rooms {
            let building = index % 3
            text += "  room-\(index):\n"
            text += index < 3
                ? "    <<: &b\(building)\n      city: 深圳\n      building: B\(building)\n      floor: \(building)F\n"
                : "    <<: *b\(building)\n"
            text += "    name: 会议室 \(index)\n"
            if index % 2 == 1 { text += "    capacity: \(index)\n" }
        }
        return text
    }

    @Test func aCleanManifestIsHandedOutInBatchesAndItsTreeStaysSmall() throws {
        let bytes = Array(Self.cleanManifest(rooms: 400).utf8)
        let (count, largest, document) = Self.batches(bytes, pieceSize: 512)
        // nil: every room went out in batches (the comparison above would prove nothing if none did).
        #expect(document == nil)
        #expect(count > 20)
        let whole = try #require(YAMLPiecesTests.parse(bytes, pieceSize: nil).root?.tree.records.count)
        // Each batch's tree holds the top of the file, the anchored nodes and one batch, not every room.
        #expect(largest * 10 < whole, "largest batch tree \(largest) nodes, whole tree \(whole)")
        // And the rooms all arrive, with their anchors merged and their defaults.
        let (entries, decodedRooms, diagnostics, _) = Self.decode(bytes, pieceSize: 512)
        #expect(diagnostics.isEmpty)
        try #require(entries.count == 400 && entries.allSatisfy { $0.room >= 0 })
        let rooms = entries.map { decodedRooms[Int($0.room)] }
        try #require(rooms.count == 400)
        #expect(rooms.map(\.key) == (0..<400).map { "room-\($0)" })
        #expect(rooms[7].capacity == 7 && rooms[8].capacity == 8 && rooms[8].equipment == [.tv])
        #expect(rooms[398].location == RoomLocation(city: "深圳", building: "B2", floor: "2F"))
        #expect(Self.decoded(bytes, pieceSize: 512) == Self.decoded(bytes, pieceSize: nil))
    }

    @Test func anythingUncleanIsReadInOnePassInstead() {
        // A duplicate room key in a later batch, and a YAML error late in the file: no batches count, the
        // caller gets the document of one pass with its errors.
        for text in [
            YAMLPiecesTests.manifest(rooms: 60) + "  room-2:\n    name: again\n",
            YAMLPiecesTests.manifest(rooms: 60) + "  late:\n    name: a\n    name: b\n",
            YAMLPiecesTests.manifest(rooms: 60) + "  late: [unclosed\n",
        ] {
            let (count, _, document) = Self.batches(Array(text.utf8), pieceSize: 97)
            #expect(count > 0, "the early batches were handed out before the problem was met")
            #expect(document?.errors.isEmpty == false)
        }
    }

    @Test func smallFilesAreNotHandedOutInBatchesByDefault() {
        let bytes = Array(YAMLPiecesTests.manifest(rooms: 100).utf8)
        var count = 0
        let parsed = YAMLParser.withParser(over: bytes, limits: .default) { parser in
            parser.parse(handingOutRooms: { _ in count += 1 })
        }
        #expect(count == 0)
        guard case .document(let document) = parsed else {
            Issue.record("a small file was not read whole: \(parsed)")
            return
        }
        #expect(document.root != nil)
    }

    /// The manifest fuzzer's mutations, each decoded from the whole tree and in batches: the same result.
    @Test func mutatedManifestsDecodeTheSameInBatches() throws {
        let seeds = ManifestFuzzTests.corpusNames.map(ManifestFuzzTests.corpus).filter { $0.count <= 16_384 }
            + [Array(YAMLPiecesTests.manifest(rooms: 30).utf8), Array(Self.cleanManifest(rooms: 30).utf8)]
        try #require(seeds.count > 1)
        var random = SplitMix64(seed: 0x2545_F491_4F6C_DD1D)
        var handedOut = 0, failures = 0
        for iteration in 0..<800 {
            // Half start from the clean manifest with one mutation, which mostly leaves it clean enough to go out
            // in batches; the others are mutated as the fuzzer does, which mostly ends in a YAML error.
            let fromClean = iteration % 2 == 0
            var input = fromClean ? seeds[seeds.count - 1] : seeds[random.below(seeds.count)]
            for _ in 0..<(fromClean ? 1 : 1 + random.below(3)) {
                ManifestMutator.mutate(&input, splicingWith: seeds[random.below(seeds.count)], using: &random)
            }
            let size = 16 + random.below(200)
            if Self.batches(input, pieceSize: size).document == nil { handedOut += 1 }
            let expected = Self.decoded(input, pieceSize: nil)
            if Self.decoded(input, pieceSize: size) != expected {
                failures += 1
                Issue.record("iteration \(iteration), pieces of \(size): decoding differs\ninput (base64): \(Data(input).base64EncodedString())")
                if failures == 3 { break }
            }
        }
        // Most mutations leave a YAML error, which sends the file to one pass; if none went out in batches, this
        // compared nothing.
        #expect(handedOut > 100)
    }

    /// `ManifestReader.arrange` puts the kept elements in the order asked and drops the rest, for any choice.
    @Test func arrangingKeepsExactlyTheChosenElementsInOrder() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let count = random.below(40)
            var elements = (0..<count).map {
                DesiredRoom(key: "e\($0)", name: "e", capacity: 1, origin: SourceLocation(file: "f", line: $0, column: 1))
            }
            var kept = Array(0..<count)
            for index in kept.indices.reversed() where index > 0 { kept.swapAt(index, random.below(index + 1)) }
            kept.removeLast(count == 0 ? 0 : random.below(count + 1))
            let expected = kept.map { elements[$0] }
            ManifestReader.arrange(&elements, keeping: kept)
            #expect(elements == expected)
        }
    }

    /// A file of several slices decoded on several cores, with rooms that have errors in every slice: the rooms
    /// are put straight into one array and the gaps closed, which must give what one decoder gives.
    @Test func slicesWithErrorsJoinAsOneDecoderWould() throws {
        let text = Self.cleanManifest(rooms: 2_600).replacingOccurrences(of: "    name: 会议室 1", with: "    nome: 会议室 1")
        let bytes = Array(text.utf8)
        let (entries, _, diagnostics, _) = Self.decode(bytes, pieceSize: nil)
        // Rooms 1, 10-19, 100-199 and 1000-1999 lost their name: the first slice keeps some rooms, the second
        // none, the third all.
        #expect(diagnostics.count > 1_000)
        #expect(entries.count == 2_600)
        #expect(Self.decoded(bytes, pieceSize: nil) == Self.decoded(bytes, pieceSize: 4_096))
        let kept = entries.filter { $0.room >= 0 }
        #expect(kept.map(\.room) == (0..<Int32(kept.count)).map { $0 })
    }

    /// A big file's pages are dropped behind the pieces already read; when a late piece sends the file to one
    /// pass, it is read again from the file. Either way: what reading its bytes gives.
    @Test(arguments: ["clean", "a duplicate key at the end", "a YAML error at the end"])
    func aBigFileWhosePagesAreDroppedReadsAsItsBytes(ending: String) async throws {
        var text = Self.cleanManifest(rooms: 3_000)
        switch ending {
        case "a duplicate key at the end": text += "  room-7:\n    name: again\n"
        case "a YAML error at the end": text += "  late: [unclosed\n"
        default: break
        }
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("rooms.yaml").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            func describe(_ decoded: (file: ManifestReader.DecodedFile, operations: ManifestOperations)) -> String {
                let file = decoded.file
                return (file.entries.map { "\($0.key) \($0.origin) \($0.room >= 0 ? "\(file.rooms[Int($0.room)])" : "-")" }
                    + file.diagnostics.map(\.description) + ["\(decoded.operations)"]).joined(separator: "\n")
            }
            let read = ManifestReader.decodeFile(path, limits: .default, releasableFrom: .max)
            var releases = 0
            let released = ManifestReader.decodeFile(path, limits: .default, releasableFrom: 0) { parser in
                parser.readsInPieces = true
                parser.pieceSize = 8_192
                parser.piecesFrom = 0
                parser.roomBatchesFrom = 0
                let release = parser.releaseBehind
                parser.releaseBehind = { offset in
                    releases += 1
                    release?(offset)
                }
            }
            // Pages were dropped (the comparison would prove nothing otherwise) ...
            #expect(releases > 5)
            // ... and a syntax error leaves no tree to decode: the comparison is then of its one located error.
            #expect(ending == "a YAML error at the end" ? read.file.diagnostics.count == 1 : read.file.entries.count >= 3_000)
            #expect(describe(released) == describe(read))
        }
    }

    @Test func equalListsShareOneStorage() {
        var shared = SharedValues<[String]>()
        let first = shared.share(["lisi", "wangwu"])
        let second = shared.share(["lisi"] + ["wangwu"])
        let other = shared.share(["wangwu", "lisi"])
        #expect(first == second && first != other)
        let address = { (list: [String]) in list.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        #expect(address(first) == address(second))
        #expect(address(first) != address(other))
    }

    /// "é" as one scalar and as "e" and an accent are equal Strings, but not the same bytes: each keeps its own.
    @Test func listsOfTextInAnotherUnicodeFormAreNotShared() {
        var shared = SharedValues<[String]>()
        let composed = shared.shareIfASCII(["caf\u{E9}"])
        let decomposed = shared.shareIfASCII(["cafe\u{301}"])
        #expect(Array(composed[0].utf8) == Array("caf\u{E9}".utf8))
        #expect(Array(decomposed[0].utf8) == Array("cafe\u{301}".utf8))
        #expect(shared.shareIfASCII(["lisi"]) == ["lisi"])
    }
}

