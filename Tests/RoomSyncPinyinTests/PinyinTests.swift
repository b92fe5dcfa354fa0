import Testing

@testable import RoomSyncPinyin

/// Readings checked by hand (a dictionary's, not the table's own word), and how a name that is not all Chinese is
/// read. PinyinReferenceTests checks hundreds more against pypinyin.
@Suite struct PinyinTests {
    func read(_ text: String) -> String {
        Pinyin.readings(of: Array(text.unicodeScalars)).map { $0 ?? "_" }.joined(separator: " ")
    }

    @Test(arguments: [
        // A character read otherwise alone: 重 zhòng, 长 zhǎng, 厦 shà, 行 xíng, 朝 zhāo.
        ("重庆", "chong qing"), ("长沙", "chang sha"), ("厦门", "xia men"), ("银行", "yin hang"), ("大厦", "da sha"),
        ("重庆大厦", "chong qing da sha"), ("厦门大厦", "xia men da sha"), ("长沙银行", "chang sha yin hang"),
        ("朝阳区", "chao yang qu"), ("会议室", "hui yi shi"), ("重要会议", "zhong yao hui yi"), ("长城", "chang cheng"),
        ("行长", "hang zhang"), ("蚌埠", "beng bu"), ("番禺", "pan yu"),
    ])
    func phrasesReadAsPhrases(text: String, reading: String) {
        #expect(read(text) == reading)
    }

    @Test func charactersAloneTakeTheirMostCommonReading() {
        #expect(read("重") == "zhong")
        #expect(read("长") == "zhang")
        #expect(read("厦") == "sha")
        // Keys spell ü as u, as the platform's transliterator did before the table.
        #expect(read("女绿") == "nu lu")
        // CJK Extension A, and beyond the Basic Multilingual Plane (Extension B): Unihan's kMandarin qiū, hē.
        #expect(read("\u{3400}\u{20000}") == "qiu he")
    }

    @Test func onlyChineseCharactersHaveAReadingAndAPhraseNeedsItsCharactersTogether() {
        #expect(read("18F重庆") == "_ _ _ chong qing")
        #expect(read("重 庆") == "zhong _ qing")
        #expect(read("Café 🎉") == "_ _ _ _ _ _")
        #expect(read("") == "")
        // A phrase at the very end, and one cut short by the end.
        #expect(read("会议室重庆") == "hui yi shi chong qing")
        #expect(read("会议室重") == "hui yi shi zhong")
    }
}
