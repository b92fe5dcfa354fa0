import Foundation
import RoomSyncCore
import RoomSyncCoreTestSupport
import Testing

/// The manifest reader against hostile bytes: every file of fuzz/corpus replayed (seeds and the inputs that once
/// broke the reader), and a seeded mutation fuzzer over them that runs in every `swift test`. The oracle is
/// `ManifestInvariants`, shared with the libFuzzer target of fuzz/run.sh.
@Suite struct ManifestFuzzTests {
    static let corpusDirectory = packageRoot.appendingPathComponent("fuzz/corpus")

    static let corpusNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    static func corpus(_ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: corpusDirectory.appendingPathComponent(name).path) ?? Data())
    }

    @Test func corpusIsThere() {
        // Without it the replay below runs no case and the generator has nothing to mutate.
        #expect(Self.corpusNames.count >= 20)
    }

    @Test(arguments: corpusNames)
    func replay(name: String) {
        let result = ManifestReader.read(bytes: Self.corpus(name), name: "fuzz.yaml")
        #expect(ManifestInvariants.violations(of: result, name: "fuzz.yaml") == [])
        if name.hasPrefix("valid-") {
            // The seeds the mutations start from must themselves be good manifests, or the generator only ever
            // explores error paths.
            #expect(result.diagnostics.map(\.description) == [])
            #expect(!result.rooms.isEmpty)
        } else {
            #expect(result.hasErrors, "a hostile seed is expected to be rejected")
        }
    }

    @Test func keysWithLineBreaksStayOnOneLine() {
        let text = "version: 1\nrooms:\n  \"a\\nb\": {name: x, capacity: 1, \"ca\\u2028p\": 2}\n"
        let result = ManifestReader.read(bytes: Array(text.utf8), name: "m.yaml")
        #expect(result.diagnostics.map(\.description) == [
            "m.yaml:3:3: error: invalid room key 'a\\nb'; keys match [a-z0-9][a-z0-9._-]{0,63}",
            "m.yaml:3:34: error: unknown field 'ca\\u{2028}p'; expected one of: name, capacity, city, building, floor, "
                + "equipment, coordinate, range, protect, ignore_changes",
        ])
    }

    @Test func hugeValuesAreCutShortInMessages() {
        let key = String(repeating: "K", count: 100_000)
        // An explicit key (`? `): libyaml refuses implicit keys longer than 1024 characters.
        let text = "version: 1\nrooms:\n  ? \(key)\n  : {name: x, capacity: 1}\n"
        let result = ManifestReader.read(bytes: Array(text.utf8), name: "m.yaml")
        #expect(result.diagnostics.map(\.description) == [
            "m.yaml:3:5: error: invalid room key '\(String(repeating: "K", count: 100))…'; keys match [a-z0-9][a-z0-9._-]{0,63}",
        ])
    }

    /// Fixed seed and count: the same inputs on every run and machine, so a failure reproduces exactly. The count
    /// keeps a debug build well under ten seconds on a shared two-core machine.
    @Test func seededMutations() throws {
        // The big regression files (50 KB each) are replayed above; mutating them too would spend most of the
        // time budget re-reading the same bytes instead of trying new shapes.
        let seeds = Self.corpusNames.map(Self.corpus).filter { $0.count <= 16_384 }
        try #require(!seeds.isEmpty)
        var random = SplitMix64(seed: 0x5EED_F00D_CAFE_2026)
        var failures = 0
        for iteration in 0..<6_000 {
            var input = seeds[random.below(seeds.count)]
            for _ in 0..<(1 + random.below(4)) {
                ManifestMutator.mutate(&input, splicingWith: seeds[random.below(seeds.count)], using: &random)
            }
            let result = ManifestReader.read(bytes: input, name: "fuzz.yaml")
            let problems = ManifestInvariants.violations(of: result, name: "fuzz.yaml")
            if !problems.isEmpty {
                failures += 1
                // The input itself, so it can be saved into fuzz/corpus as a regression case.
                Issue.record("iteration \(iteration): \(problems.joined(separator: "; "))\ninput (base64): \(Data(input).base64EncodedString())")
                if failures == 5 { break }
            }
        }
    }
}

/// Mutations aimed at what a YAML reader gets wrong: structure punctuation, anchors and merges, indentation
/// with tabs, broken encodings, numbers past any integer type, long values and deep nesting.
enum ManifestMutator {
    static let tokens: [String] = [
        ":", ": ", "{", "}", "[", "]", ",", "-", "- ", "? ", "&a ", "*a", "&b ", "*b", "<<: ", "<<: *a", "!", "!!str ",
        "!!int ", "!!map ", "|", ">", "|-\n", "'", "\"", "#", "\t", "\n", "\r\n", "  ", "---\n", "...\n", "%YAML 1.1\n",
        "\\", "\\n", "~", "null", "yes", "no", ".inf", "0x1F", "1e999", "-0", "_", "\u{FEFF}", "\u{2028}", "名",
    ]
    static let hugeNumbers = [
        "99999999999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "4294967296", "100001", "0", "1_000", "+1", "1.5e308", "1e-400",
    ]

    static func mutate(_ input: inout [UInt8], splicingWith other: [UInt8], using random: inout SplitMix64) {
        func position() -> Int { random.below(input.count + 1) }
        switch random.below(11) {
        case 0:  // flip one bit
            guard !input.isEmpty else { break }
            input[random.below(input.count)] ^= UInt8(1) << UInt8(random.below(8))
        case 1:  // YAML punctuation and keywords
            input.insert(contentsOf: Array(tokens[random.below(tokens.count)].utf8), at: position())
        case 2:  // delete a short run
            guard !input.isEmpty else { break }
            let start = random.below(input.count)
            input.removeSubrange(start..<min(input.count, start + 1 + random.below(16)))
        case 3:  // duplicate a line (duplicate keys, repeated anchors)
            let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard lines.count > 1 else { break }
            let line = lines[random.below(lines.count)]
            var rebuilt = Array(lines)
            rebuilt.insert(line, at: random.below(rebuilt.count))
            input = Array(rebuilt.joined(separator: [UInt8(ascii: "\n")]))
        case 4:  // truncate
            input.removeSubrange(position()...)
        case 5:  // splice: the head of this input, the tail of another
            let tail = other[random.below(other.count + 1)...]
            input = Array(input[..<position()]) + tail
        case 6:
            input.insert(contentsOf: Array(hugeNumbers[random.below(hugeNumbers.count)].utf8), at: position())
        case 7:  // a long value
            let unit = ["a", "名", "\\n", " "][random.below(4)]
            input.insert(contentsOf: Array(String(repeating: unit, count: 1 + random.below(3000)).utf8), at: position())
        case 8:  // deep nesting, around the depth limit of 512
            let depth = 1 + random.below(700)
            let (open, close) = random.below(2) == 0 ? ("[", "]") : ("{a: ", "}")
            let nested = String(repeating: open, count: depth) + "x" + String(repeating: close, count: depth)
            input.insert(contentsOf: Array(nested.utf8), at: position())
        case 9:  // bytes that are not UTF-8, or control characters
            let bad: [[UInt8]] = [[0xFF], [0xC3], [0xE4, 0xBC], [0xED, 0xA0, 0x80], [0x00], [0x07], [0xC0, 0x80]]
            input.insert(contentsOf: bad[random.below(bad.count)], at: position())
        default:  // any byte anywhere
            input.insert(UInt8(random.below(256)), at: position())
        }
    }
}
