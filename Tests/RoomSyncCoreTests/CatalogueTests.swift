import RoomSyncCore
import Testing

/// SPEC section 12: every message in every language, with the same values, and the language chosen as documented.
@Suite struct CatalogueTests {
    @Test(arguments: Language.allCases)
    func everyMessageHasATextInEveryLanguage(language: Language) {
        let texts = Catalogue.texts(of: language)
        let missing = MessageKey.allCases.filter { texts[$0]?.isEmpty != false }.map(\.rawValue)
        #expect(missing.isEmpty, "no \(language.rawValue) text for: \(missing.joined(separator: ", "))")
    }

    @Test func everyLanguageFillsInTheSameValues() {
        let english = Catalogue.texts(of: .en)
        for language in Language.allCases where language != .en {
            let texts = Catalogue.texts(of: language)
            for key in MessageKey.allCases {
                guard let template = texts[key], let original = english[key] else { continue }
                #expect(
                    Catalogue.placeholders(in: template) == Catalogue.placeholders(in: original),
                    "\(key.rawValue) in \(language.rawValue) takes other values than in English"
                )
            }
        }
    }

    @Test func valuesAreFilledInWhereTheTextNamesThem() {
        let english = Catalogue.text(.unknownLanguage, ["source": "--lang", "value": "fr"], in: .en)
        #expect(english == "--lang 'fr' is not a language roomsync speaks (zh or en)")
        let chinese = Catalogue.text(.unknownLanguage, ["value": "fr", "source": "--lang"], in: .zh)
        #expect(chinese == "--lang 的值 'fr' 不是 roomsync 支持的语言（zh 或 en）")
    }

    @Test func theTaskLanguageIsTheDefault() {
        let error = Language.UnknownLanguage(value: "fr", source: "ROOMSYNC_LANG")
        #expect(error.description.hasPrefix("ROOMSYNC_LANG 'fr' is not"))
        Language.$current.withValue(.zh) {
            #expect(error.description.hasPrefix("ROOMSYNC_LANG 的值"))
        }
    }

    @Test func theFlagThenTheVariableThenTheLocaleChoose() throws {
        #expect(try Language.choose(flag: "zh", environment: ["ROOMSYNC_LANG": "en"]) == .zh)
        #expect(try Language.choose(flag: nil, environment: ["ROOMSYNC_LANG": "zh", "LANG": "C.UTF-8"]) == .zh)
        #expect(try Language.choose(flag: nil, environment: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(try Language.choose(flag: nil, environment: ["LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"]) == .en)
        #expect(try Language.choose(flag: nil, environment: ["LC_ALL": "", "LC_MESSAGES": "zh_TW", "LANG": "C"]) == .zh)
        #expect(try Language.choose(flag: nil, environment: ["LANG": "C.UTF-8"]) == .en)
        #expect(try Language.choose(flag: nil, environment: [:]) == .en)
        #expect(throws: Language.UnknownLanguage.self) { try Language.choose(flag: "fr", environment: [:]) }
        #expect(throws: Language.UnknownLanguage.self) { try Language.choose(flag: nil, environment: ["ROOMSYNC_LANG": "de"]) }
    }
}

@Suite struct LocalizedTextTests {
    @Test func aTextIsRenderedInTheLanguageOfWhoeverPrintsIt() {
        let text = LocalizedText(.unknownLanguage, ["source": "--lang", "value": "fr"])
        #expect(text.description == "--lang 'fr' is not a language roomsync speaks (zh or en)")
        #expect(Language.$current.withValue(.zh) { text.description } == "--lang 的值 'fr' 不是 roomsync 支持的语言（zh 或 en）")
    }
}
