import Foundation

// Turns ThirdParty/pypinyin's characters.txt and phrases.txt into the Swift source of the table RoomSyncPinyin
// reads (run by Plugins/PinyinTablePlugin at build time): the readings as one string, and each character's and
// each phrase's readings as scalars U+E000 plus a reading's index, which string literals hold compactly and compile
// fast (an array literal of 40,000 numbers does neither).
//
// Usage: PinyinTableGenerator CHARACTERS PHRASES OUTPUT

/// Where the readings' indexes start; U+E000 itself stands for "no reading" between two blocks' characters.
let indexBase: UInt32 = 0xE000
/// Characters closer than this share a block, the code points between them having no reading: fewer blocks, at
/// a few unused scalars each.
let largestGapInABlock: UInt32 = 32

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: PinyinTableGenerator: \(message)\n".utf8))
    exit(1)
}

/// The file's lines that are not comments, each with its number.
func dataLines(_ path: String) -> [(number: Int, text: Substring)] {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        fail("cannot read \(path) as UTF-8")
    }
    return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        .filter { !$0.element.isEmpty && !$0.element.hasPrefix("#") }
        .map { (number: $0.offset + 1, text: $0.element) }
}

/// A line's two tab-separated fields.
func fields(_ line: (number: Int, text: Substring), in path: String) -> (Substring, Substring) {
    let parts = line.text.split(separator: "\t", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        fail("\(path):\(line.number): expected two fields separated by a tab")
    }
    return (parts[0], parts[1])
}

let arguments = CommandLine.arguments
guard arguments.count == 4 else { fail("usage: PinyinTableGenerator CHARACTERS PHRASES OUTPUT") }
let (charactersPath, phrasesPath, outputPath) = (arguments[1], arguments[2], arguments[3])

var syllables: [Substring] = []
var readingOf: [UInt32: Int] = [:]
for line in dataLines(charactersPath) {
    let (syllable, characters) = fields(line, in: charactersPath)
    guard syllable.allSatisfy({ ("a"..."z").contains($0) }) else {
        fail("\(charactersPath):\(line.number): reading '\(syllable)' is not lowercase letters a-z")
    }
    syllables.append(syllable)
    for character in characters.unicodeScalars {
        guard readingOf.updateValue(syllables.count, forKey: character.value) == nil else {
            fail("\(charactersPath):\(line.number): \(character) has a second reading")
        }
    }
}
var indexOfSyllable = Dictionary(uniqueKeysWithValues: syllables.enumerated().map { ($0.element, $0.offset + 1) })
guard indexOfSyllable.count == syllables.count else { fail("\(charactersPath): a reading is listed twice") }

/// A reading's index, a phrase's reading that is no character's most common one (谁 in 谁知 is `shei`, alone
/// `shui`) taking the next.
@MainActor func index(of syllable: Substring, line: Int) -> Int {
    if let index = indexOfSyllable[syllable] { return index }
    guard syllable.allSatisfy({ ("a"..."z").contains($0) }) else {
        fail("\(phrasesPath):\(line): reading '\(syllable)' is not lowercase letters a-z")
    }
    syllables.append(syllable)
    indexOfSyllable[syllable] = syllables.count
    return syllables.count
}

func scalar(forReading index: Int) -> String {
    String(Unicode.Scalar(indexBase + UInt32(index))!)
}

/// The code points in order, cut into blocks where two are more than `largestGapInABlock` apart.
var blocks: [(first: UInt32, readings: String)] = []
var previous: UInt32?
for code in readingOf.keys.sorted() {
    if let last = previous, code - last <= largestGapInABlock {
        for _ in (last + 1)..<code { blocks[blocks.count - 1].readings += scalar(forReading: 0) }
        blocks[blocks.count - 1].readings += scalar(forReading: readingOf[code]!)
    } else {
        blocks.append((code, scalar(forReading: readingOf[code]!)))
    }
    previous = code
}

var phrases: [String] = []
for line in dataLines(phrasesPath) {
    let (phrase, readings) = fields(line, in: phrasesPath)
    let spelled = readings.split(separator: " ")
    guard spelled.count == phrase.unicodeScalars.count, phrase.unicodeScalars.count >= 2 else {
        fail("\(phrasesPath):\(line.number): '\(phrase)' needs one reading for each of its characters")
    }
    var encoded = String(phrase)
    for (character, syllable) in zip(phrase.unicodeScalars, spelled) {
        guard readingOf[character.value] != nil else {
            fail("\(phrasesPath):\(line.number): \(character) has no reading in \(charactersPath)")
        }
        encoded += scalar(forReading: index(of: syllable, line: line.number))
    }
    phrases.append(encoded)
}

var source = """
    // Generated at build time by PinyinTableGenerator (Plugins/PinyinTablePlugin) from ThirdParty/pypinyin's
    // characters.txt and phrases.txt: do not edit. \(readingOf.count) characters, \(phrases.count) phrases.

    extension PinyinTable {
        static let encodedSyllables = "\(syllables.joined(separator: " "))"

        static let encodedBlocks: [(first: UInt32, readings: String)] = [

    """
for block in blocks {
    source += "        (0x\(String(block.first, radix: 16, uppercase: true)), \"\(block.readings)\"),\n"
}
source += "    ]\n\n    static let encodedPhrases = \"\(phrases.joined(separator: "\\n"))\"\n}\n"

do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: outputPath), options: .atomic)
} catch {
    fail("cannot write \(outputPath): \(error)")
}
