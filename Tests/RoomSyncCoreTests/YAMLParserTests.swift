import RoomSyncCore
import Testing

@Suite struct YAMLParserTests {
    func parse(_ text: String, limits: YAMLLimits = .default) -> YAMLDocument {
        YAMLParser.parse(Array(text.utf8), limits: limits)
    }

    func rendered(_ document: YAMLDocument) -> [String] {
        document.errors.map { error in
            "\(error.mark): \(error.message)" + (error.relatedMark.map { " [\($0)]" } ?? "")
        }
    }

    @Test func scalarsCarryValueStyleTagAndOneBasedMarks() throws {
        let document = parse("a: 1\nb: 'x'\nc: !!str 2\n深圳: \"北京\"\n")
        #expect(document.errors.isEmpty)
        let pairs = try #require(document.root?.mapping)
        #expect(pairs.map { $0.key.scalar?.value } == ["a", "b", "c", "深圳"])
        #expect(pairs[0].value.scalar == YAMLScalar(value: "1", style: .plain))
        #expect(pairs[0].value.scalar?.kind == .int)
        #expect(pairs[1].value.scalar?.style == .singleQuoted)
        #expect(pairs[1].value.mark == YAMLMark(line: 2, column: 4))
        #expect(pairs[2].value.scalar?.tag == "tag:yaml.org,2002:str")
        #expect(pairs[2].value.scalar?.kind == .string)
        // Columns count characters, not bytes.
        #expect(pairs[3].value.mark == YAMLMark(line: 4, column: 5))
        #expect(pairs[3].value.scalar?.value == "北京")
    }

    @Test(arguments: [
        ("true", YAMLScalarKind.bool(true)), ("off", .bool(false)), ("Yes", .bool(true)), ("NO", .bool(false)),
        ("y", .string), ("~", .null), ("null", .null), ("", .null), ("12", .int), ("-3", .int), ("1_000", .int),
        ("1.5", .float), ("1e3", .float), (".inf", .float), ("18F", .string), ("1.2.3", .string), ("abc", .string),
        ("Null", .null), ("NULL", .null), ("nULL", .string), ("On", .bool(true)), ("oN", .string), ("FALSE", .bool(false)),
        ("False", .bool(false)), ("tRUE", .string), ("-.inf", .float), ("+.Inf", .float), ("-.nan", .string), (".NaN", .float),
        (".nan", .float), (".NAN", .float), (".5", .float), ("+12", .int), ("1e+3", .float), ("1e", .string), ("1_", .int),
        ("--", .string), ("tv", .string), ("no way", .string),
        ("!!str 12", .string), ("!!int '12'", .int), ("!!bool yes", .bool(true)), ("!!bool maybe", .string), ("'12'", .string),
    ])
    func plainScalarsResolveLikeYAML11(text: String, kind: YAMLScalarKind) throws {
        let document = parse("v: \(text)\n")
        let node = try #require(document.root?.mapping?.first?.value)
        #expect(try #require(node.scalar).kind == kind)
        // The node's own answer, from its record's tag and style and its bytes (the manifest decoder's way), agrees.
        #expect(node.scalarKind == kind)
    }

    @Test func aliasesExpandToTheAnchoredNode() throws {
        let document = parse("a: &x [1, 2]\nb: *x\n")
        let pairs = try #require(document.root?.mapping)
        #expect(pairs[1].value.sequence?.compactMap { $0.scalar?.value } == ["1", "2"])
    }

    @Test func mergeKeysLetExplicitKeysWinAndEarlierSourcesWin() throws {
        let text = """
            base: &base {city: A, floor: 1F}
            other: &other {city: B, building: X, floor: 2F}
            one:
              <<: *base
              floor: 9F
            two:
              <<: [*base, *other]

            """
        let document = parse(text)
        #expect(document.errors.isEmpty)
        let pairs = try #require(document.root?.mapping)
        func fields(_ node: YAMLNode) -> [String: String] {
            Dictionary(uniqueKeysWithValues: Array(node.mapping!).map { ($0.key.scalar!.value, $0.value.scalar!.value) })
        }
        #expect(fields(pairs[2].value) == ["city": "A", "floor": "9F"])
        #expect(fields(pairs[3].value) == ["city": "A", "floor": "1F", "building": "X"])
    }

    @Test func quotedMergeKeyIsAnOrdinaryKey() throws {
        let document = parse("'<<': {a: 1}\n")
        #expect(document.root?.mapping?.first?.key.scalar?.value == "<<")
    }

    @Test func badMergeValueIsAnError() {
        #expect(rendered(parse("a:\n  <<: 3\n")) == ["2:7: merge key '<<' needs a mapping or a sequence of mappings"])
    }

    @Test func duplicateKeysReportBothPositions() {
        #expect(rendered(parse("a: 1\nb: 2\na: 3\n")) == ["3:1: duplicate key 'a' [1:1]"])
    }

    @Test func duplicateKeysInBigMappingsAreFoundToo() {
        let text = (0..<100).map { "k\($0): 1\n" }.joined() + "k42: 2\n"
        #expect(rendered(parse(text)) == ["101:1: duplicate key 'k42' [43:1]"])
    }

    @Test func undefinedAliasIsAnError() {
        #expect(rendered(parse("a: *nope\n")) == ["1:4: alias '*nope' refers to no anchor defined before it"])
    }

    @Test func aliasBombStopsWithAnError() {
        // "Billion laughs": nine levels of nine aliases each would expand to 9^9 nodes.
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        let document = parse(text)
        #expect(document.root == nil)
        #expect(rendered(document) == ["7:10: aliases expand to more than 1000000 nodes (an alias bomb?)"])
    }

    @Test func deepNestingStopsAtTheDepthLimit() {
        let document = parse(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000))
        #expect(document.root == nil)
        #expect(rendered(document) == ["1:513: nesting is deeper than 512 levels"])
    }

    @Test func nestingWithinTheLimitIsFine() {
        let document = parse(String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        #expect(document.errors.isEmpty)
        #expect(document.root != nil)
    }

    @Test func longScalarsCostMoreOfTheAliasBudget() {
        // 160 bytes count as 1 + 160 / 16 = 11 nodes: nine aliases fit in 100, the tenth does not.
        let anchor = "a: &a " + String(repeating: "x", count: 160) + "\n"
        let limits = YAMLLimits(maxAliasExpansion: 100)
        let nine = parse(anchor + "b: [" + Array(repeating: "*a", count: 9).joined(separator: ", ") + "]\n", limits: limits)
        #expect(nine.errors.isEmpty)
        let ten = parse(anchor + "b: [" + Array(repeating: "*a", count: 10).joined(separator: ", ") + "]\n", limits: limits)
        #expect(rendered(ten) == ["2:41: aliases expand to more than 100 nodes (an alias bomb?)"])
    }

    @Test func aliasesCountTowardsTheDepthLimit() {
        // 300 levels holding an alias of 300 more: 600 levels once expanded, beyond the limit of 512.
        let inner = "a: &a " + String(repeating: "[", count: 300) + "x" + String(repeating: "]", count: 300) + "\n"
        let document = parse(inner + "b: " + String(repeating: "[", count: 300) + "*a" + String(repeating: "]", count: 300) + "\n")
        #expect(document.root == nil)
        #expect(rendered(document) == ["2:304: nesting is deeper than 512 levels (counting what aliases bring in)"])
    }

    @Test func aliasesWithinTheDepthLimitAreFine() {
        // 256 + 256 levels: exactly the limit.
        let inner = "a: &a " + String(repeating: "[", count: 255) + "x" + String(repeating: "]", count: 255) + "\n"
        let document = parse(inner + "b: " + String(repeating: "[", count: 256) + "*a" + String(repeating: "]", count: 256) + "\n")
        #expect(document.errors.isEmpty)
    }

    @Test func smallMappingMergingABigOneKeepsExplicitKeysAndDropsNoKey() throws {
        // Few explicit keys and a big merged mapping: the merge switches the duplicate check to hashing midway.
        let keys = (0..<40).map { "k\($0): from-big" }.joined(separator: ", ")
        let document = parse("big: &big {\(keys)}\nsmall: {k7: mine, extra: 1, <<: *big}\n")
        #expect(document.errors.isEmpty)
        let small = try #require(document.root?.mapping?.last?.value.mapping)
        #expect(small.count == 41)
        #expect(small.map { $0.key.scalar?.value ?? "" } == ["k7", "extra"] + (0..<40).filter { $0 != 7 }.map { "k\($0)" })
        #expect(small.first?.value.scalar?.value == "mine")
    }

    @Test func secondDocumentIsAnError() {
        #expect(rendered(parse("a: 1\n---\nb: 2\n")) == [
            "2:1: a manifest holds one YAML document; remove the second '---' or split the file",
        ])
    }

    @Test(arguments: [
        ("a:\n\tb: 1\n", "2:1: invalid YAML: tab character; YAML does not allow tabs for indentation, use spaces"),
        ("a: \"open\nb: 2\n", "3:1: invalid YAML: found unexpected end of stream while scanning a quoted scalar started at 1:4"),
        ("a: 'open\n", "2:1: invalid YAML: found unexpected end of stream while scanning a quoted scalar started at 1:4"),
        ("a: [1, 2\n", "2:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence started at 1:4"),
        ("a: {b: 1\n", "2:1: invalid YAML: did not find expected ',' or '}' while parsing a flow mapping started at 1:4"),
        ("a: b: c\n", "1:5: invalid YAML: mapping values are not allowed in this context"),
    ])
    func syntaxErrorsAreLocated(text: String, expected: String) {
        let document = parse(text)
        #expect(document.root == nil)
        #expect(rendered(document) == [expected])
    }

    @Test func invalidUTF8IsLocatedFromTheByteOffset() {
        var bytes = Array("a: 1\nb: 深".utf8)
        bytes.append(0xFF)
        let document = YAMLParser.parse(bytes)
        #expect(rendered(document) == ["2:5: file is not valid UTF-8 text (invalid leading UTF-8 octet)"])
    }

    @Test func aBigDocumentKeepsEveryNodeAndFindsALateDuplicate() {
        // 20,000 entries merging one anchor, and a duplicate of an early key at the very end (the index of a big
        // mapping hashes keys' bytes).
        var text = "base: &base {city: A, floor: 1F}\nrooms:\n"
        for index in 0..<20_000 {
            text += "  r\(index): {<<: *base, name: 'R \(index)', tags: [x, \(index)]}\n"
        }
        text += "  r7: duplicate\n"
        let document = parse(text)
        #expect(rendered(document) == ["20003:3: duplicate key 'r7' [10:3]"])
        let rooms = document.root?.mapping?.last?.value.mapping
        #expect(rooms?.count == 20_000)
        let last = rooms?.last?.value.mapping.map { Array($0).map { "\($0.key.scalar!.value)=\($0.value.scalar?.value ?? "[…]")" } }
        #expect(last == ["name=R 19999", "tags=[…]", "city=A", "floor=1F"])
    }
}

/// SPEC 2: alias expansion is bounded in proportion to the document, not by a fixed count.
@Suite struct ProportionalAliasBoundTests {
    @Test func aHundredThousandRoomsMergingABuildingAnchorValidate() {
        // Each merge of the building brings in about a dozen nodes: 1.2 million in all, past the old fixed
        // bound of a million, and still far below one node per byte of the file.
        var text = "version: 1\nrooms:\n"
        text += "  r0:\n    <<: &b {city: 深圳, building: 腾讯大厦, coordinate: {latitude: \"22.540503\", longitude: \"113.934528\"}}\n"
        text += "    name: R0\n    capacity: 1\n    floor: 1F\n"
        for index in 1..<100_000 {
            text += "  r\(index): {<<: *b, name: R\(index), capacity: 1, floor: 1F}\n"
        }
        let result = ManifestReader.read(bytes: Array(text.utf8), name: "big.yaml")
        #expect(result.diagnostics.map(\.description) == [])
        #expect(result.rooms.count == 100_000)
        #expect(result.rooms.last?.location?.building == "腾讯大厦")
    }

    @Test func theBoundGrowsWithTheDocumentAndKeepsItsFloor() {
        let limits = YAMLLimits.default
        #expect(limits.aliasExpansionBound(forDocumentOf: 1_000) == 1_000_000)
        #expect(limits.aliasExpansionBound(forDocumentOf: 5_000_000) == 5_000_000)
        #expect(YAMLLimits(maxAliasExpansion: 100).aliasExpansionBound(forDocumentOf: 5_000_000) == 100)
    }

    @Test func aBillionLaughsPaddedToMegabytesIsStillAnError() {
        // Padding buys a bomb one node per byte, while each level multiplies by ten: it still stops.
        var text = "pad: \"" + String(repeating: "x", count: 4_000_000) + "\"\n"
        text += "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let document = YAMLParser.parse(Array(text.utf8))
        #expect(document.root == nil)
        #expect(document.errors.first?.message.hasPrefix("aliases expand to more than 4000") == true, "\(document.errors)")
    }
}
