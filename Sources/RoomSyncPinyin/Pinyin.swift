/// Chinese read aloud in pinyin, as export's keys spell it (no tones, `ü` as `u`): phrases by their reading, longest
/// first (重庆 `chong qing`, not `zhong qing`), other characters by their most common reading. The table is pypinyin's
/// (ThirdParty/pypinyin), compiled in by the build, so every platform reads a name alike.
public enum Pinyin {
    /// Each scalar's reading, or nil where the table has none (not a Chinese character, or one it does not know).
    /// A phrase is read as a whole where its characters follow each other.
    public static func readings(of scalars: [Unicode.Scalar]) -> [String?] {
        var readings = [String?](repeating: nil, count: scalars.count)
        var index = 0
        while index < scalars.count {
            let reading = PinyinTable.reading(of: scalars[index])
            guard reading != 0 else {
                index += 1
                continue
            }
            if let phrase = PinyinTable.longestPhrase(in: scalars, at: index) {
                for (offset, phraseReading) in phrase.readings.enumerated() {
                    readings[index + offset] = PinyinTable.syllable(phraseReading)
                }
                index += phrase.readings.count
            } else {
                readings[index] = PinyinTable.syllable(reading)
                index += 1
            }
        }
        return readings
    }
}

/// The generated table (PinyinTable+Generated.swift, from Plugins/PinyinTablePlugin) decoded once, on first use.
/// Readings are indexes into `syllables` counted from 1; 0 is none.
enum PinyinTable {
    struct Block {
        var first: UInt32
        var readings: [UInt16]
    }

    struct Phrase {
        /// The characters after the first, which the phrase is filed under.
        var rest: [Unicode.Scalar]
        var readings: [UInt16]
    }

    static let syllables: [String] = encodedSyllables.split(separator: " ").map(String.init)

    static let blocks: [Block] = encodedBlocks.map { block in
        Block(first: block.first, readings: block.readings.unicodeScalars.map(readingIndex))
    }

    /// Each phrase under its first character, longest first: the first that matches is the longest.
    static let phrases: [Unicode.Scalar: [Phrase]] = {
        var phrases: [Unicode.Scalar: [Phrase]] = [:]
        for line in encodedPhrases.split(separator: "\n") {
            let scalars = Array(line.unicodeScalars)
            let characters = scalars.count / 2
            phrases[scalars[0], default: []].append(
                Phrase(rest: Array(scalars[1..<characters]), readings: scalars[characters...].map(readingIndex)))
        }
        return phrases.mapValues { $0.sorted { $0.rest.count > $1.rest.count } }
    }()

    private static func readingIndex(_ scalar: Unicode.Scalar) -> UInt16 {
        UInt16(scalar.value - 0xE000)
    }

    static func syllable(_ reading: UInt16) -> String {
        syllables[Int(reading) - 1]
    }

    /// The character's reading, or 0.
    static func reading(of scalar: Unicode.Scalar) -> UInt16 {
        // The last block that starts at or before the scalar.
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].first <= scalar.value { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return 0 }
        let block = blocks[low - 1]
        let offset = Int(scalar.value - block.first)
        return offset < block.readings.count ? block.readings[offset] : 0
    }

    /// The longest phrase the scalars spell from `start` on, if any.
    static func longestPhrase(in scalars: [Unicode.Scalar], at start: Int) -> Phrase? {
        phrases[scalars[start]]?.first { phrase in
            start + phrase.rest.count < scalars.count
                && phrase.rest.indices.allSatisfy { phrase.rest[$0] == scalars[start + 1 + $0] }
        }
    }
}
