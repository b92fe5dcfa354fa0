import Foundation
@testable import RoomSyncCore
import RoomSyncCoreTestSupport
import Testing

/// A big manifest is read by libyaml in pieces on several cores (`YAMLPieces`). Whatever the text, the document
/// must be exactly the one a single pass gives: the same nodes, positions, text, tags and errors. The pieces are
/// made tiny here so that small texts are cut in many places.
@Suite struct YAMLPiecesTests {
    static func parse(_ bytes: [UInt8], pieceSize: Int?) -> YAMLDocument {
        YAMLParser.withParser(over: bytes, limits: .default) { parser in
            if let pieceSize {
                parser.readsInPieces = true
                parser.pieceSize = pieceSize
                parser.piecesFrom = 0
            } else {
                parser.readsInPieces = false
            }
            return parser.parse()
        }
    }

    /// Everything a document holds, as text to compare.
    static func dump(_ document: YAMLDocument) -> String {
        var lines = document.errors.map { "error \($0.mark) \($0.message) \($0.relatedMark.map { "\($0)" } ?? "")" }
        if let root = document.root {
            let tree = root.tree
            lines.append("root \(root.index)")
            for (index, record) in tree.records.enumerated() {
                lines.append("\(index) \(record.kind) \(record.style) \(record.tagged) \(record.line):\(record.column) \(record.start)+\(record.count)")
            }
            lines.append("text \(String(decoding: tree.text, as: UTF8.self))")
            lines.append("children \(tree.children)")
            lines.append("tags \(tree.tags.sorted { $0.key < $1.key })")
        }
        return lines.joined(separator: "\n")
    }

    static func cuts(_ text: String, pieceSize: Int) -> Int {
        Array(text.utf8).withUnsafeBufferPointer { YAMLPieces(cutting: $0, minimumBytes: 0, bytesPerPiece: pieceSize)?.count ?? 0 }
    }

    /// Rooms over many lines: anchors defined early and merged late, comments, blank lines, flow and block
    /// collections, a block scalar, a sequence at its key's indentation.
    static func manifest(rooms: Int, extra: (Int) -> String = { _ in "" }) -> String {
        var text = "# head\nversion: 1\ndefaults:\n  capacity: 8\nrooms:   # the rooms\n"
        for index in 0..<rooms {
            let building = index % 3
            if index < 3 {
                text += "  room-\(index):\n    <<: &b\(building)\n      city: 深圳\n      building: B\(building)\n"
            } else {
                text += "  room-\(index):\n    <<: *b\(building)\n"
            }
            text += "    name: \"会议室 \(index)\"\n    capacity: \(index)\n"
            if index % 4 == 0 { text += "    equipment: [tv, phone]\n" }
            if index % 5 == 0 { text += "\n# a comment at column 0\n  # and one indented\n" }
            if index % 7 == 0 { text += "    range: {user_list: [a, b],\n      department_list: [1]}\n" }
            if index % 9 == 0 { text += "    notes: |\n      line one\n       line two\n" }
            if index % 11 == 0 { text += "  list-\(index):\n  - a\n  - b: c\n" }
            text += extra(index)
        }
        return text
    }

    static let texts: [(String, String)] = [
        ("plain", manifest(rooms: 40)),
        ("duplicate keys across pieces", manifest(rooms: 30) + "  room-2:\n    name: again\n"),
        ("alias to no anchor late", manifest(rooms: 30) + "  late:\n    <<: *nowhere\n"),
        ("syntax error late", manifest(rooms: 30) + "  late: [unclosed\n  after: 1\n"),
        ("tab late", manifest(rooms: 30) + "  late:\n\tname: x\n"),
        ("quoted value across a cut", manifest(rooms: 20) { $0 == 10 ? "  quoted: \"one\n  two: three\"\n" : "" }),
        ("single-quoted across a cut", manifest(rooms: 20) { $0 == 12 ? "  quoted: 'one\n  two: three'\n" : "" }),
        ("flow across a cut", manifest(rooms: 20) { $0 == 8 ? "  flow: {a: 1,\n  b: 2}\n" : "" }),
        ("flow sequence across a cut", manifest(rooms: 20) { $0 == 8 ? "  flow: [a,\n  b]\n" : "" }),
        ("plain scalar over lines", manifest(rooms: 20) { $0 == 6 ? "  long: one\n   two\n  next: x\n" : "" }),
        ("key without a value", manifest(rooms: 20) { $0 == 6 ? "  bare\n" : "" }),
        ("explicit keys", manifest(rooms: 20) { $0 == 6 ? "  ? explicit\n  : value\n" : "" }),
        ("less indented line", manifest(rooms: 20) { $0 == 9 ? " odd: 1\n" : "" }),
        ("anchors redefined", manifest(rooms: 20) { $0 == 9 ? "  again:\n    <<: &b0 {city: 北京}\n" : "" }),
        ("key after the rooms", manifest(rooms: 20) + "moved:\n  - {from: a, to: b}\n"),
        ("second document", manifest(rooms: 20) + "---\nx: 1\n"),
        ("document end", manifest(rooms: 20) + "...\n"),
        ("CRLF", manifest(rooms: 20).replacingOccurrences(of: "\n", with: "\r\n")),
        ("NEL inside", manifest(rooms: 20) { $0 == 5 ? "  nel: a\u{85}b\n" : "" }),
        ("LS inside", manifest(rooms: 20) { $0 == 5 ? "  ls: \"a\u{2028}b\"\n" : "" }),
        ("BOM", "\u{FEFF}" + manifest(rooms: 20)),
        ("a %TAG directive", "%TAG ! tag:yaml.org,2002:\n---\n" + manifest(rooms: 20) { $0 == 15 ? "  tagged: {capacity: !str 10}\n" : "" }),
        ("a %YAML directive", "%YAML 1.1\n---\n" + manifest(rooms: 20)),
        ("rooms in flow style", "version: 1\nrooms: {a: {name: x},\n  b: {name: y}}\n" + String(repeating: "# pad\n", count: 40)),
        ("rooms with an anchor", "version: 1\nrooms: &r\n  a: {name: x}\n  b: {name: y}\n  c: {name: z}\n"),
        ("rooms not a mapping", "version: 1\nrooms:\n  - a\n  - b\n  - c\n"),
        ("deep nesting late", manifest(rooms: 20) + "  deep: " + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "\n"),
        ("bad UTF-8 late", manifest(rooms: 20) + "  bad: x\u{1}y\n"),
    ]

    @Test(arguments: texts.map(\.0))
    func piecesGiveTheOnePassDocument(name: String) throws {
        let text = try #require(Self.texts.first { $0.0 == name }?.1)
        let bytes = Array(text.utf8)
        let expected = Self.dump(Self.parse(bytes, pieceSize: nil))
        for size in [40, 97, 256, 1_000] {
            #expect(Self.dump(Self.parse(bytes, pieceSize: size)) == expected, "\(name), pieces of \(size) bytes")
        }
    }

    @Test func cleanManifestsAreCutAndReadInPieces() {
        // The comparison above proves nothing if nothing is cut.
        #expect(Self.cuts(Self.manifest(rooms: 40), pieceSize: 97) > 10)
        let document = Self.parse(Array(Self.manifest(rooms: 40).utf8), pieceSize: 97)
        #expect(document.errors.isEmpty)
        #expect(document.root?.mapping?.last?.value.mapping?.count == 40 + 4)
    }

    @Test func textsThatCannotBeCutSafelyAreNot() {
        let manifest = Self.manifest(rooms: 20)
        #expect(Self.cuts(manifest + "moved:\n  - {from: a, to: b}\n", pieceSize: 97) == 0)
        #expect(Self.cuts(manifest + "---\nx: 1\n", pieceSize: 97) == 0)
        #expect(Self.cuts(manifest.replacingOccurrences(of: "\n", with: "\r\n"), pieceSize: 97) == 0)
        #expect(Self.cuts(manifest + "  nel: a\u{85}b\n", pieceSize: 97) == 0)
        #expect(Self.cuts(manifest + "  ls: a\u{2029}b\n", pieceSize: 97) == 0)
        #expect(Self.cuts("version: 1\nrooms: &r\n  a: 1\n  b: 2\n", pieceSize: 4) == 0)
        #expect(Self.cuts("%TAG ! tag:yaml.org,2002:\n---\n" + manifest, pieceSize: 97) == 0)
        #expect(Self.cuts(manifest, pieceSize: 97) > 1)
    }

    @Test func bigFilesAreCutOnlyAboveTheThreshold() {
        let small = Array(Self.manifest(rooms: 100).utf8)
        #expect(small.withUnsafeBufferPointer { YAMLPieces(cutting: $0)?.count } == nil)
    }

    /// The manifest fuzzer's mutations, each input read in one pass and in pieces: identical documents.
    @Test func mutatedManifestsGiveTheSameDocumentInPieces() throws {
        let seeds = ManifestFuzzTests.corpusNames.map(ManifestFuzzTests.corpus).filter { $0.count <= 16_384 }
            + [Array(Self.manifest(rooms: 30).utf8)]
        try #require(seeds.count > 1)
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        var cut = 0, failures = 0
        for iteration in 0..<1_500 {
            var input = seeds[random.below(seeds.count)]
            for _ in 0..<(1 + random.below(3)) {
                ManifestMutator.mutate(&input, splicingWith: seeds[random.below(seeds.count)], using: &random)
            }
            let size = 16 + random.below(200)
            if input.withUnsafeBufferPointer({ YAMLPieces(cutting: $0, minimumBytes: 0, bytesPerPiece: size)?.count }) != nil { cut += 1 }
            let expected = Self.dump(Self.parse(input, pieceSize: nil))
            if Self.dump(Self.parse(input, pieceSize: size)) != expected {
                failures += 1
                Issue.record("iteration \(iteration), pieces of \(size): documents differ\ninput (base64): \(Data(input).base64EncodedString())")
                if failures == 3 { break }
            }
        }
        // Most mutations keep a manifest cuttable; if none were, this test would compare nothing.
        #expect(cut > 200)
    }
}
