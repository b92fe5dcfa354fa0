import RoomSyncCore
import Testing

/// Each rule of SPEC section 2, with the exact message and position a user sees.
@Suite struct ManifestRuleTests {
    static let equipmentList = "tv, phone, projector, whiteboard, video, 电视, 电话, 投影, 白板, 视频"

    /// Every rule's exact message for a manifest that breaks it; the schema tests feed the same manifests to a
    /// JSON Schema validator.
    static let ruleCases: [(manifest: String, expected: String)] = [
        // name
        (oneRoom("name: \"\"", "capacity: 1"), "m.yaml:4:11: error: name must be 1 to 30 characters, found 0"),
        (oneRoom("name: " + String(repeating: "会", count: 31), "capacity: 1"),
         "m.yaml:4:11: error: name must be 1 to 30 characters, found 31"),
        (oneRoom("capacity: 1"), "m.yaml:3:3: error: room 'r1' is missing required field 'name'"),
        (oneRoom("name: [a]", "capacity: 1"), "m.yaml:4:11: error: expected a string, found a sequence"),
        // capacity
        (oneRoom("name: A"), "m.yaml:3:3: error: room 'r1' is missing required field 'capacity'"),
        (oneRoom("name: A", "capacity: 10.5"), "m.yaml:5:15: error: expected an integer, found a float"),
        (oneRoom("name: A", "capacity: \"10\""), "m.yaml:5:15: error: expected an integer, found a string"),
        (oneRoom("name: A", "capacity: ten"), "m.yaml:5:15: error: expected an integer, found a string"),
        (oneRoom("name: A", "capacity: yes"), "m.yaml:5:15: error: expected an integer, found a boolean"),
        (oneRoom("name: A", "capacity: [1]"), "m.yaml:5:15: error: expected an integer, found a sequence"),
        (oneRoom("name: A", "capacity: 0"), "m.yaml:5:15: error: capacity must be between 1 and 100000, found 0"),
        (oneRoom("name: A", "capacity: -5"), "m.yaml:5:15: error: capacity must be between 1 and 100000, found -5"),
        (oneRoom("name: A", "capacity: 100001"),
         "m.yaml:5:15: error: capacity must be between 1 and 100000, found 100001"),
        (oneRoom("name: A", "capacity: 99999999999999999999999"),
         "m.yaml:5:15: error: capacity must be between 1 and 100000, found 99999999999999999999999"),
        // location
        (oneRoom("name: A", "capacity: 1", "building: B"),
         "m.yaml:3:3: error: room 'r1' has an incomplete location: missing 'city' and 'floor' (city, building and floor go together)"),
        (oneRoom("name: A", "capacity: 1", "city: C", "building: B"),
         "m.yaml:3:3: error: room 'r1' has an incomplete location: missing 'floor' (city, building and floor go together)"),
        (oneRoom("name: A", "capacity: 1", "city: C", "building: B", "floor: no"),
         "m.yaml:8:12: error: expected a string, found a boolean; quote it (\"no\") if you mean text"),
        (oneRoom("name: A", "capacity: 1", "city: ''", "building: B", "floor: 1"), "m.yaml:6:11: error: city must not be empty"),
        // equipment
        (oneRoom("name: A", "capacity: 1", "equipment: [tv, laser]"),
         "m.yaml:6:21: error: unknown equipment 'laser'; expected 1-5 or one of: \(equipmentList)"),
        (oneRoom("name: A", "capacity: 1", "equipment: [6]"),
         "m.yaml:6:17: error: unknown equipment '6'; expected 1-5 or one of: \(equipmentList)"),
        (oneRoom("name: A", "capacity: 1", "equipment: tv"),
         "m.yaml:6:16: error: expected a sequence of equipment, found a string"),
        // range
        (oneRoom("name: A", "capacity: 1", "range: [a]"), "m.yaml:6:12: error: expected a mapping, found a sequence"),
        (oneRoom("name: A", "capacity: 1", "range: {department_list: [\"1\"]}"),
         "m.yaml:6:31: error: expected an integer, found a string"),
        (oneRoom("name: A", "capacity: 1", "range: {department_list: [0]}"),
         "m.yaml:6:31: error: department id must be between 1 and 4294967295, found 0"),
        (oneRoom("name: A", "capacity: 1", "range: {user_list: alice}"),
         "m.yaml:6:24: error: expected a sequence, found a string"),
        (oneRoom("name: A", "capacity: 1", "range: {user_list: [true]}"),
         "m.yaml:6:25: error: expected a string, found a boolean; quote it (\"true\") if you mean text"),
        (oneRoom("name: A", "capacity: 1", "range: {user_list: [" + Array(repeating: "u", count: 1001).joined(separator: ",") + "]}"),
         "m.yaml:6:24: error: user_list has 1001 entries; WeCom allows at most 1000"),
        (oneRoom("name: A", "capacity: 1", "range: {department_list: [" + Array(repeating: "1", count: 1001).joined(separator: ",") + "]}"),
         "m.yaml:6:30: error: department_list has 1001 entries; WeCom allows at most 1000"),
        // coordinate
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: \"91\", longitude: \"1\"}"),
         "m.yaml:6:28: error: latitude must be between -90 and 90, found 91"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: 1, longitude: -180.5}"),
         "m.yaml:6:42: error: longitude must be between -180 and 180, found -180.5"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: '90.0001', longitude: 0}"),
         "m.yaml:6:28: error: latitude must be between -90 and 90, found 90.0001"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: 0, longitude: -1180}"),
         "m.yaml:6:42: error: longitude must be between -180 and 180, found -1180"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: 22.5}"),
         "m.yaml:6:17: error: coordinate is missing 'longitude'"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: abc, longitude: 1}"),
         "m.yaml:6:28: error: latitude must be a decimal number like 22.540503, found 'abc'"),
        // Long, and not a number: its range is never worked out from its "digits" (which overflowed once).
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: \"1 2 3 4 5 6 7 8 9 0 1 2 3\", longitude: 1}"),
         "m.yaml:6:28: error: latitude must be a decimal number like 22.540503, found '1 2 3 4 5 6 7 8 9 0 1 2 3'"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: on, longitude: 1}"),
         "m.yaml:6:28: error: expected a number for latitude, found a boolean"),
        (oneRoom("name: A", "capacity: 1", "coordinate: 22.5"),
         "m.yaml:6:17: error: expected a mapping with latitude and longitude, found a float"),
        // WeCom takes a coordinate only with a location: validate says so rather than apply finding out.
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: \"22.540503\", longitude: \"113.934528\"}"),
         "m.yaml:3:3: error: room 'r1' has a coordinate but no location: a coordinate needs city, building and floor"),
        ("version: 1\ndefaults: {coordinate: {latitude: 1, longitude: 2}}\nrooms:\n  r1: {name: A, capacity: 1}\n",
         "m.yaml:4:3: error: room 'r1' has a coordinate but no location: a coordinate needs city, building and floor"),
        // protect
        (oneRoom("name: A", "capacity: 1", "protect: \"yes\""),
         "m.yaml:6:14: error: expected a boolean (true or false), found a string"),
        // unknown fields, at every level
        (oneRoom("name: A", "capacty: 1"), "m.yaml:5:5: error: unknown field 'capacty'; did you mean 'capacity'?"),
        (oneRoom("name: A", "capacity: 1", "range: {user_lst: [a]}"),
         "m.yaml:6:13: error: unknown field 'user_lst'; did you mean 'user_list'?"),
        (oneRoom("name: A", "capacity: 1", "coordinate: {latitude: 1, longitud: 2}"),
         "m.yaml:6:31: error: unknown field 'longitud'; did you mean 'longitude'?"),
        (oneRoom("name: A", "capacity: 1", "colour: red"),
         "m.yaml:6:5: error: unknown field 'colour'; expected one of: name, capacity, city, building, floor, equipment, coordinate, range, protect, ignore_changes"),
        ("version: 1\ndefaults: {citty: X}\nrooms: {}\n", "m.yaml:2:12: error: unknown field 'citty'; did you mean 'city'?"),
        ("version: 1\ndefaults: {name: X}\nrooms: {}\n",
         "m.yaml:2:12: error: 'name' cannot be set in defaults; give each room its own name"),
        ("version: 1\nrooms: {}\nromos: {}\n", "m.yaml:3:1: error: unknown field 'romos'; did you mean 'rooms'?"),
        // keys
        ("version: 1\nrooms:\n  Big_Room: {name: A, capacity: 1}\n",
         "m.yaml:3:3: error: invalid room key 'Big_Room'; keys match [a-z0-9][a-z0-9._-]{0,63}"),
        ("version: 1\nrooms:\n  -r: {name: A, capacity: 1}\n",
         "m.yaml:3:3: error: invalid room key '-r'; keys match [a-z0-9][a-z0-9._-]{0,63}"),
        ("version: 1\nrooms:\n  \(String(repeating: "a", count: 65)): {name: A, capacity: 1}\n",
         "m.yaml:3:3: error: invalid room key '\(String(repeating: "a", count: 65))'; keys match [a-z0-9][a-z0-9._-]{0,63}"),
        // top level and types
        ("rooms: {}\n", "m.yaml:1:1: error: missing required field 'version' (add 'version: 1')"),
        ("version: 2\nrooms: {}\n", "m.yaml:1:10: error: unsupported manifest version 2; this roomsync reads version 1"),
        ("version: \"1\"\nrooms: {}\n", "m.yaml:1:10: error: expected an integer, found a string"),
        ("version: 1\n", "m.yaml:1:1: error: missing required field 'rooms'"),
        ("version: 1\nrooms: [a]\n", "m.yaml:2:8: error: expected a mapping of room keys to rooms, found a sequence"),
        ("version: 1\nrooms:\n  r1: hello\n", "m.yaml:3:7: error: expected a mapping, found a string"),
        ("version: 1\ndefaults: [a]\nrooms: {}\n", "m.yaml:2:11: error: expected a mapping, found a sequence"),
        ("- version: 1\n", "m.yaml:1:1: error: expected a mapping at the top of the manifest, found a sequence"),
        ("just text\n", "m.yaml:1:1: error: expected a mapping at the top of the manifest, found a string"),
        // YAML-level errors inside a manifest
        (oneRoom("name: A", "name: B", "capacity: 1"), "m.yaml:5:5: error: duplicate key 'name'; first defined at m.yaml:4:5"),
    ]

    @Test(arguments: ruleCases)
    func ruleReportsExactMessage(manifest: String, expected: String) async {
        let run = await readManifests(["m.yaml": manifest])
        #expect(run.lines == [expected])
        #expect(run.result.hasErrors)
        #expect(run.result.rooms.isEmpty)
    }

    @Test func thirtyCharacterNameIsAccepted() async {
        let run = await readManifests(["m.yaml": oneRoom("name: " + String(repeating: "会", count: 30), "capacity: 100000")])
        #expect(run.lines == [])
        #expect(run.result.rooms.first?.capacity == 100_000)
    }

    @Test func everyErrorOfAFileIsReportedInPositionOrder() async {
        let manifest = """
            version: 1
            rooms:
              a:
                name: ""
                capacty: 1
              B:
                name: ok
                capacity: 0
                equipment: [laser]

            """
        let run = await readManifests(["m.yaml": manifest])
        #expect(run.lines == [
            "m.yaml:4:11: error: name must be 1 to 30 characters, found 0",
            "m.yaml:5:5: error: unknown field 'capacty'; did you mean 'capacity'?",
            "m.yaml:6:3: error: invalid room key 'B'; keys match [a-z0-9][a-z0-9._-]{0,63}",
            "m.yaml:8:15: error: capacity must be between 1 and 100000, found 0",
            "m.yaml:9:17: error: unknown equipment 'laser'; expected 1-5 or one of: \(Self.equipmentList)",
        ])
    }

    @Test func duplicateKeyAcrossFilesNamesBothPlaces() async {
        let run = await readManifests([
            "a.yaml": "version: 1\nrooms:\n  same: {name: A, capacity: 1}\n",
            "b.yaml": "version: 1\nrooms:\n  other: {name: B, capacity: 1}\n  same: {name: C, capacity: 2}\n",
        ])
        #expect(run.lines == ["b.yaml:4:3: error: duplicate room key 'same'; first defined at a.yaml:3:3"])
    }
}
