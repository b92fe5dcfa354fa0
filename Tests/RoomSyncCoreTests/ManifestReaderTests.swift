import Foundation
import RoomSyncCore
import Testing

/// Happy paths and whole-file behaviour: defaults, anchors, several files, directories, hostile input.
@Suite struct ManifestReaderTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    @Test func defaultsAreMergedUnderEveryRoomFieldByField() async throws {
        let manifest = """
            version: 1
            defaults:
              city: 深圳
              building: 腾讯大厦
              capacity: 8
              equipment: [tv]
              coordinate: {latitude: 22.540503, longitude: "113.934528"}
              protect: true
            rooms:
              b-room:
                name: B
                floor: 18F
                equipment: [phone, 电话, 2]
                protect: false
              a-room:
                name: A
                floor: 19F
                capacity: 12

            """
        let run = await readManifests(["m.yaml": manifest])
        #expect(run.lines == [])
        let rooms = run.result.rooms
        #expect(rooms.map(\.key) == ["a-room", "b-room"])
        let a = try #require(rooms.first), b = try #require(rooms.last)
        #expect(a.capacity == 12)
        #expect(a.location == RoomLocation(city: "深圳", building: "腾讯大厦", floor: "19F"))
        #expect(a.equipment == [.tv])
        #expect(a.protect)
        // Written as a number, kept as the exact text.
        #expect(a.coordinate == Coordinate(latitude: "22.540503", longitude: "113.934528"))
        #expect(a.origin.line == 15 && a.origin.column == 3)
        #expect(b.capacity == 8)
        #expect(b.equipment == [.phone])
        #expect(!b.protect)
        #expect(a.range == nil)
    }

    /// A room starts as a copy of its defaults, so what a default written wrong gives the rooms that take it is
    /// spelt out: a required one (or a misspelling of it) leaves them out, never made with a placeholder such as
    /// capacity 0; any other leaves the field unmanaged in them (a location as a whole). The file's errors stop
    /// every command, but the rooms are the reader's result, and `validate --format json` counts them.
    @Test(arguments: [
        ("capacity: -5", nil), ("capacty: 10", nil), ("equipment: [hifi]", "equipment"), ("city: ''", "location"),
        ("protect: maybe", "protect"),
    ] as [(String, String?)])
    func aDefaultWrittenWrongLeavesItsFieldUnmanagedOrARequiredOneTheRoomOut(_ badDefault: String, unmanaged: String?) async throws {
        // The other defaults every room needs, but the one written badly.
        let others = ["capacity: 4", "city: C", "protect: true"].filter { !$0.hasPrefix(badDefault.prefix(4)) }
        let manifest = """
            version: 1
            defaults: {\(badDefault), building: B, floor: F, equipment: [tv], \(others.joined(separator: ", "))}
            rooms:
              own: {name: Own, capacity: 3, city: C, equipment: [phone], protect: false}
              inherits: {name: Inherits}

            """
            .replacingOccurrences(of: "equipment: [tv], ", with: badDefault.hasPrefix("equipment") ? "" : "equipment: [tv], ")
        let run = await readManifests(["m.yaml": manifest])
        #expect(run.lines.count == 1, "\(run.lines)")
        let rooms = Dictionary(uniqueKeysWithValues: run.result.rooms.map { ($0.key, $0) })
        #expect(rooms["own"]?.capacity == 3)
        #expect(rooms["own"]?.location == RoomLocation(city: "C", building: "B", floor: "F"))
        #expect(rooms["own"]?.equipment == [.phone])
        guard let unmanaged else {
            #expect(rooms["inherits"] == nil, "a room without a capacity of its own is left out")
            return
        }
        let inherits = try #require(rooms["inherits"])
        #expect(inherits.capacity == 4)
        #expect(inherits.location == (unmanaged == "location" ? nil : RoomLocation(city: "C", building: "B", floor: "F")))
        #expect(inherits.values.city == (unmanaged == "location" ? nil : "C"), "no part of a location is sent without the others")
        #expect(inherits.values.building == (unmanaged == "location" ? nil : "B"))
        #expect(inherits.equipment == (unmanaged == "equipment" ? nil : [.tv]))
        #expect(inherits.protect == (unmanaged != "protect"))
    }

    @Test func coordinateTextIsKeptByteForByte() async throws {
        let run = await readManifests(["m.yaml": oneRoom("name: A", "capacity: 1", "city: C", "building: B", "floor: F", "coordinate: {latitude: 22.5400, longitude: '-0.10'}")])
        #expect(run.result.rooms.first?.coordinate == Coordinate(latitude: "22.5400", longitude: "-0.10"))
    }

    @Test func coordinatesOnTheLimitsAreAccepted() async throws {
        let run = await readManifests(["m.yaml": oneRoom(
            "name: A", "capacity: 1", "city: C", "building: B", "floor: F", "coordinate: {latitude: '-90.000', longitude: 180.0}")])
        #expect(run.lines == [])
        #expect(run.result.rooms.first?.coordinate == Coordinate(latitude: "-90.000", longitude: "180.0"))
    }

    @Test func anchorsAliasesAndMergeKeysWork() async throws {
        let manifest = """
            version: 1
            rooms:
              r1:
                <<: &tower {city: 深圳, building: 腾讯大厦, floor: 1F}
                name: R1
                capacity: 4
                equipment: &kit [tv, video]
              r2:
                <<: [*tower, {floor: 2F, capacity: 9}]
                floor: 3F
                name: R2
                equipment: *kit
                range: &everyone {user_list: [zhangsan], department_list: [1]}

            """
        let run = await readManifests(["m.yaml": manifest])
        #expect(run.lines == [])
        let r2 = try #require(run.result.rooms.last)
        #expect(r2.location == RoomLocation(city: "深圳", building: "腾讯大厦", floor: "3F"))
        #expect(r2.capacity == 9)
        #expect(r2.equipment == [.tv, .video])
        #expect(r2.range == RoomRange(userList: ["zhangsan"], departmentList: [1]))
    }

    @Test(arguments: [
        ("[1, 2, 3, 4, 5]", [Equipment.tv, .phone, .projector, .whiteboard, .video]),
        ("[tv, Phone, PROJECTOR, whiteboard, video]", [.tv, .phone, .projector, .whiteboard, .video]),
        ("[电视, 电话, 投影, 白板, 视频]", [.tv, .phone, .projector, .whiteboard, .video]),
        ("[video, 5, 视频, tv]", [.tv, .video]),
        ("[]", []),
        // Spellings only `Equipment(name:)` knows, after the bytes matched none.
        ("[TV, '03', +2, Video]", [.tv, .phone, .projector, .video]),
        // Already a set is kept as it is; out of order or repeated is made one.
        ("[tv, phone]", [.tv, .phone]), ("[phone, tv]", [.tv, .phone]), ("[tv, 1, tv]", [.tv]),
    ])
    func equipmentByIdEnglishOrChineseNameAsASet(list: String, expected: [Equipment]) async {
        let run = await readManifests(["m.yaml": oneRoom("name: A", "capacity: 1", "equipment: \(list)")])
        #expect(run.lines == [])
        #expect(run.result.rooms.first?.equipment == expected)
    }

    @Test func aBigFileDecodedInSlicesGivesWhatOneDecoderWould() async throws {
        // 2,500 rooms are decoded in three slices at once. Keys are written out of order, and errors sit in the
        // first and last slices and on a slice boundary: diagnostics must come out in position order, every
        // valid room exactly once, sorted by key.
        let count = 2500
        let broken: Set<Int> = [3, 999, 1000, 2499]
        var text = "version: 1\ndefaults: {capacity: 4}\nrooms:\n"
        for index in 0..<count {
            let number = (index * 7919) % count  // a permutation of 0..<count, as 7919 is prime
            text += "  room-\(String(format: "%05d", number)): {name: R\(number)\(broken.contains(index) ? ", capacity: 0" : "")}\n"
        }
        let run = await readManifests(["m.yaml": text])
        // `  room-NNNNN: {name: RN, capacity: 0}`: the 0 is at column 35 plus the digits of N.
        #expect(run.lines == broken.sorted().map { index in
            let number = (index * 7919) % count
            return "m.yaml:\(index + 4):\(35 + String(number).count): error: capacity must be between 1 and 100000, found 0"
        })
        let keys = run.result.rooms.map(\.key)
        #expect(keys.count == count - broken.count)
        #expect(keys == keys.sorted())
        #expect(Set(keys).count == keys.count)
        let room = try #require(run.result.rooms.first { $0.key == "room-00042" })
        #expect(room.name == "R42" && room.capacity == 4)
    }

    @Test func filesReadAtOnceReportInTheOrderGivenAndClashAcrossFiles() async {
        // Many small files are read concurrently; the clash is reported against the file named first.
        var files: [String: String] = [:]
        for index in 0..<12 {
            files[String(format: "f%02d.yaml", index)] = "version: 1\nrooms:\n  k\(index): {name: N, capacity: 1}\n  shared: {name: S, capacity: 1}\n"
        }
        let names = files.keys.sorted().reversed().map { $0 }
        let run = await readManifests(files, paths: names)
        #expect(run.lines == names.dropFirst().map {
            "\($0):4:3: error: duplicate room key 'shared'; first defined at \(names[0]):4:3"
        })
        #expect(run.result.files.map { URL(fileURLWithPath: $0).lastPathComponent } == names)
        #expect(run.result.rooms.map(\.key) == (0..<12).map { "k\($0)" }.sorted() + ["shared"])
    }

    @Test func severalFilesAreReadInOrderWithDefaultsPerFile() async {
        let run = await readManifests([
            "b.yaml": "version: 1\ndefaults: {capacity: 5}\nrooms:\n  b1: {name: B}\n",
            "a.yaml": "version: 1\nrooms:\n  a1: {name: A}\n",
        ], paths: ["b.yaml", "a.yaml"])
        // a.yaml has no defaults, so b.yaml's capacity does not leak into it.
        #expect(run.lines == ["a.yaml:3:3: error: room 'a1' is missing required field 'capacity'"])
        #expect(run.result.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["b.yaml", "a.yaml"])
    }

    @Test func directoryReadsEveryYAMLFileSorted() throws {
        let directory = Self.fixtures.appendingPathComponent("directory").path
        let result = ManifestReader.read(paths: [directory])
        #expect(result.diagnostics == [])
        #expect(result.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["10-shenzhen.yaml", "20-beijing.yml"])
        #expect(result.rooms.map(\.key) == ["bj-3f-east", "sz-18f-large"])
        #expect(result.rooms.first?.capacity == 6)
    }

    @Test func directoryWithoutYAMLIsALocatedError() {
        let directory = Self.fixtures.appendingPathComponent("empty-of-yaml").path
        let result = ManifestReader.read(paths: [directory])
        #expect(result.diagnostics.map(\.description) == ["\(directory):1:1: error: directory contains no *.yaml or *.yml files"])
    }

    @Test func anEntryOfADirectoryThatCannotBeReadIsAnErrorNamingIt() async throws {
        // A dangling symlink used to be skipped, and with it its rooms, which a plan then deleted.
        try await withTemporaryDirectory { directory in
            let folder = directory.appendingPathComponent("rooms")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try "version: 1\nrooms:\n  a: {name: A, capacity: 1}\n".write(
                to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(
                atPath: folder.appendingPathComponent("b.yaml").path, withDestinationPath: "gone/b.yaml")
            // A directory that happens to end in .yaml is not a manifest, and is no reason to stop.
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("old.yaml"), withIntermediateDirectories: true)
            let result = ManifestReader.read(paths: [folder.path])
            #expect(result.diagnostics.map(\.description) == [
                "\(folder.path)/b.yaml:1:1: error: cannot read file: a symbolic link to 'gone/b.yaml', which does not exist"
            ])
            #expect(result.hasErrors)
        }
    }

    @Test func exampleManifestValidates() {
        let example = packageRoot.appendingPathComponent("rooms.example.yaml").path
        let result = ManifestReader.read(paths: [example])
        #expect(result.diagnostics == [])
        #expect(result.rooms.count == 9)
        #expect(Set(result.rooms.compactMap(\.location?.city)) == ["深圳", "北京"])
        #expect(result.rooms.contains { $0.protect })
        #expect(result.rooms.contains { $0.range != nil })
    }

    @Test func missingFileIsALocatedError() async {
        let run = await readManifests([:], paths: ["nope.yaml"])
        #expect(run.lines == ["nope.yaml:1:1: error: no such file or directory"])
    }

    @Test func noPathsIsAnError() {
        #expect(ManifestReader.read(paths: []).diagnostics.map(\.description) == ["error: no manifest given"])
    }

    @Test(arguments: [
        ("zero bytes", [], "m.yaml:1:1: error: file is empty; a manifest starts with 'version: 1'"),
        ("comments only", Array("# nothing yet\n\n".utf8),
         "m.yaml:1:1: error: file has no YAML content; a manifest starts with 'version: 1'"),
        ("invalid UTF-8", Array("version: 1\nrooms: {}\n".utf8) + [0xC3, 0x28],
         "m.yaml:3:1: error: file is not valid UTF-8 text (invalid trailing UTF-8 octet)"),
        ("binary", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00],
         "m.yaml:1:1: error: file contains control characters (is it a binary file?)"),
        ("tab indentation", Array("version: 1\nrooms:\n\tr1: {}\n".utf8),
         "m.yaml:3:1: error: invalid YAML: tab character; YAML does not allow tabs for indentation, use spaces"),
        ("unclosed quote", Array("version: 1\nrooms:\n  r1: {name: \"A, capacity: 1}\n".utf8),
         "m.yaml:4:1: error: invalid YAML: found unexpected end of stream while scanning a quoted scalar started at 3:14"),
        ("unclosed flow", Array("version: 1\nrooms: {r1: {name: A}\n".utf8),
         "m.yaml:3:1: error: invalid YAML: did not find expected ',' or '}' while parsing a flow mapping started at 2:8"),
        ("deep nesting", Array(("version: 1\nrooms: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n").utf8),
         "m.yaml:2:519: error: nesting is deeper than 512 levels"),
    ] as [(String, [UInt8], String)])
    func hostileInputIsOneLocatedError(label: String, bytes: [UInt8], expected: String) async {
        let run = await readManifestBytes(["m.yaml": bytes])
        #expect(run.lines == [expected], "\(label)")
        #expect(run.result.rooms.isEmpty)
    }

    @Test func aliasBombInAManifestIsAnError() async {
        var text = "version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n"
        for level in 1...12 {
            text += "x\(level): &x\(level) [" + Array(repeating: "*x\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let run = await readManifests(["m.yaml": text])
        // 110 + 1110 + 11110 + 111110 nodes for x1...x4, then x5's eighth alias of x4 passes a million.
        #expect(run.lines == ["m.yaml:7:45: error: aliases expand to more than 1000000 nodes (an alias bomb?)"])
    }

    @Test func aliasLimitIsConfigurable() async throws {
        let manifest = oneRoom("name: &n A", "capacity: 1", "city: *n", "building: *n", "floor: *n")
        let small = YAMLLimits(maxDepth: 512, maxAliasExpansion: 2)
        try await withTemporaryManifest(manifest) { path in
            #expect(ManifestReader.read(paths: [path]).diagnostics.isEmpty)
            #expect(ManifestReader.read(paths: [path], limits: small).diagnostics.map(\.message) == [
                "aliases expand to more than 2 nodes (an alias bomb?)",
            ])
        }
    }
}

import RoomSyncCoreTestSupport

func withTemporaryManifest(_ text: String, _ body: (String) throws -> Void) async throws {
    try await withTemporaryDirectory { directory in
        let path = directory.appendingPathComponent("m.yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try body(path)
    }
}
