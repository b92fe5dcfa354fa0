import Foundation
import RoomSyncCoreTestSupport
import Testing

@testable import RoomSyncPinyin

/// The table read against pypinyin itself, the version ThirdParty/pypinyin was cut from, run in a venv: its
/// `lazy_pinyin` gives every expected reading, so none is typed by hand. Skipped, saying why, where python3 or PyPI
/// cannot be had; a failure instead under ROOMSYNC_REQUIRE_PYTHON_TOOLS=1, as the other Python-tool tests.
@Suite struct PinyinReferenceTests {
    static let vendored = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ThirdParty/pypinyin")

    /// The pypinyin version the vendored data names in its first line.
    static func vendoredVersion() throws -> String {
        let header = try String(contentsOf: vendored.appendingPathComponent("characters.txt"), encoding: .utf8)
            .prefix { $0 != "\n" }
        let words = header.split(separator: " ")
        let version = try #require(words.count > 2 && words[1] == "pypinyin" ? words[2] : nil, "\(header)")
        return String(version)
    }

    /// The venv's python, with that pypinyin; or the test is skipped (failed, where the tools are required).
    static func python() async throws -> String {
        do {
            return try await PythonTools.environment(["pypinyin==\(vendoredVersion())"])
                .appendingPathComponent("bin/python").path
        } catch let error as PythonTools.Unavailable {
            if PythonTools.required { Issue.record("pypinyin is required but unavailable: \(error)") }
            FileHandle.standardError.write(Data("PinyinReferenceTests: \(error)\n".utf8))
            try Test.cancel(Comment(rawValue: error.description))
        }
    }

    /// pypinyin's reading of each line, as keys spell it (no tones, `ü` as `u`), a syllable per character.
    static let readLines = """
        import sys, unicodedata
        from pypinyin import lazy_pinyin, Style
        def spelled(reading):
            return "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c)).lower()
        for line in sys.stdin.read().split("\\n"):
            if line:
                print(" ".join(spelled(r) for r in lazy_pinyin(line, style=Style.TONE)))
        """

    /// Where the table's reading of `texts` differs from pypinyin's: "TEXT: ours, not theirs".
    func differences(_ texts: [String], python: String) async throws -> [String] {
        let run = try await PythonTools.run(python, ["-c", Self.readLines], stdin: texts.joined(separator: "\n") + "\n")
        try #require(run.status == 0, "\(run.output.suffix(2000))")
        let expected = run.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        try #require(expected.count == texts.count, "\(run.output.suffix(2000))")
        // Half a million readings take a debug build most of a minute: on a thread of its own, not one of the few
        // every concurrent test's tasks share.
        return await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: zip(texts, expected).compactMap { text, expected in
                    let ours = Pinyin.readings(of: Array(text.unicodeScalars)).map { $0 ?? "?" }.joined(separator: " ")
                    return ours == expected ? nil : "\(text): \(ours), not \(expected)"
                })
            }.start()
        }
    }

    @Test func placeAndBuildingNamesReadAsPypinyinReadsThem() async throws {
        let python = try await Self.python()
        #expect(PlaceNames.all.count > 500)
        let wrong = try await differences(PlaceNames.all, python: python)
        #expect(wrong.isEmpty, "\(wrong.count) of \(PlaceNames.all.count):\n\(wrong.joined(separator: "\n"))")
    }

    @Test func everyCharacterAndPhrasePypinyinKnowsReadsAsItReadsThem() async throws {
        // The whole upstream, not only what was vendored: a hand edit of ThirdParty/pypinyin, or a phrase the
        // script's cut left out that a match needs, shows here.
        let python = try await Self.python()
        let list = try await PythonTools.run(python, ["-c", """
            from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
            print("\\n".join(sorted(PHRASES_DICT)))
            print("\\n".join(chr(code) for code in sorted(PINYIN_DICT)))
            """])
        try #require(list.status == 0, "\(list.output.suffix(2000))")
        let texts = list.output.split(separator: "\n").map(String.init)
        #expect(texts.count > 80_000)
        let wrong = try await differences(texts, python: python)
        #expect(wrong.isEmpty, "\(wrong.count) of \(texts.count):\n\(wrong.prefix(50).joined(separator: "\n"))")
    }

    @Test func theVendoredDataIsWhatTheScriptWritesFromPypinyin() async throws {
        // The cut is reproducible: the committed script, run on the upstream, writes the committed files.
        let python = try await Self.python()
        try await withTemporaryDirectory { directory in
            let script = Self.vendored.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/pinyin/vendor-pypinyin.py")
            let run = try await PythonTools.run(python, [script.path, directory.path])
            try #require(run.status == 0, "\(run.output)")
            for file in ["characters.txt", "phrases.txt", "LICENSE.txt"] {
                let written = try Data(contentsOf: directory.appendingPathComponent(file))
                let committed = try Data(contentsOf: Self.vendored.appendingPathComponent(file))
                #expect(written == committed, "ThirdParty/pypinyin/\(file) differs from what the script writes")
            }
        }
    }
}
