import RoomSyncCore
import Testing

/// SPEC 2's operations declared in the manifest (`moved`, `import`, `ignore_changes`, `prune.exclude`): what they
/// read as, and every error with the exact message and position a user sees.
@Suite struct ManifestOperationTests {
    static let rooms = "rooms:\n  new: {name: A, capacity: 1}\n"

    @Test func operationsAreReadFromEveryFileAndCombined() async throws {
        let run = await readManifests([
            "a.yaml": "version: 1\n\(Self.rooms)moved:\n  - {from: old, to: mid}\n  - {from: mid, to: new}\nprune:\n  exclude: [\"临时*\"]\n",
            "b.yaml": "version: 1\nrooms:\n  lobby: {name: L, capacity: 2, ignore_changes: [capacity, location]}\nimport:\n  - {key: lobby, meetingroom_id: 42}\nmoved:\n  - {from: old, to: mid}\nprune:\n  exclude: [\"*-装修中\", \"临时*\"]\n",
        ])
        #expect(run.lines == [])
        let operations = run.result.operations
        #expect(operations.moves.map { "\($0.from)>\($0.to)" } == ["old>mid", "mid>new"])
        #expect(operations.imports.map(\.key) == ["lobby"])
        #expect(operations.imports.first?.meetingroomID == 42)
        #expect(operations.pruneExclusions.map(\.pattern) == ["临时*", "*-装修中"])
        #expect(operations.exclusion(keeping: "临时会议室")?.pattern == "临时*")
        #expect(operations.exclusion(keeping: "3F-装修中")?.pattern == "*-装修中")
        #expect(operations.exclusion(keeping: "会议室") == nil)
        #expect(run.result.rooms.first { $0.key == "lobby" }?.ignoreChanges == [.capacity, .location])
    }

    @Test func ignoreChangesInDefaultsApplyToEveryRoomOfTheFile() async {
        let run = await readManifests([
            "m.yaml": "version: 1\ndefaults:\n  ignore_changes: [equipment]\nrooms:\n  a: {name: A, capacity: 1}\n  b: {name: B, capacity: 1, ignore_changes: []}\n",
        ])
        #expect(run.lines == [])
        #expect(run.result.rooms.map(\.ignoreChanges) == [[.equipment], []])
    }

    @Test(arguments: [
        // moved
        ("moved: {from: a, to: b}\n", "m.yaml:4:8: error: moved: expected a sequence of entries, found a mapping"),
        ("moved:\n  - old\n", "m.yaml:5:5: error: moved: expected an entry with 'from' and 'to', found a string"),
        ("moved:\n  - {from: old}\n", "m.yaml:5:5: error: moved: entry is missing 'to'"),
        ("moved:\n  - {from: old, to: new, why: x}\n", "m.yaml:5:26: error: unknown field 'why'; expected one of: from, to"),
        ("moved:\n  - {form: old, to: new}\n",
         "m.yaml:5:6: error: unknown field 'form'; did you mean 'from'?"),
        ("moved:\n  - {from: Old, to: new}\n",
         "m.yaml:5:12: error: invalid room key 'Old' in 'from'; keys match [a-z0-9][a-z0-9._-]{0,63}"),
        ("moved:\n  - {from: new, to: new}\n", "m.yaml:5:5: error: moved: 'from' and 'to' are both 'new'"),
        ("moved:\n  - {from: new, to: other}\n",
         "m.yaml:5:5: error: moved: 'new' is still declared as a room at m.yaml:3:3; a moved key must leave the manifests"),
        ("moved:\n  - {from: a, to: b}\n  - {from: b, to: a}\n", "m.yaml:5:5: error: moved: the entries form a cycle (a → b → a)"),
        ("moved:\n  - {from: a, to: new}\n  - {from: b, to: new}\n",
         "m.yaml:6:5: error: moved: 'new' is the target of 'b' here and of 'a' at m.yaml:5:5"),
        // A typo in `to` would move the key and then delete it as one no manifest declares.
        ("moved:\n  - {from: old, to: nwe}\n",
         "m.yaml:5:5: error: moved: 'nwe' is not a room of the manifests; a key is moved to a room declared under 'rooms'"),
        // A chain may pass through keys no manifest declares; where it ends must be declared.
        ("moved:\n  - {from: a, to: b}\n  - {from: b, to: c}\n",
         "m.yaml:6:5: error: moved: 'c' is not a room of the manifests; a key is moved to a room declared under 'rooms'"),
        // import
        ("import:\n  - {key: new}\n", "m.yaml:5:5: error: import: entry is missing 'meetingroom_id'"),
        ("import:\n  - {key: new, meetingroom_id: \"42\"}\n", "m.yaml:5:32: error: expected an integer, found a string"),
        ("import:\n  - {key: new, meetingroom_id: 0}\n", "m.yaml:5:32: error: meetingroom_id must be between 1 and 2147483647, found 0"),
        ("import:\n  - {key: lobby, meetingroom_id: 42}\n",
         "m.yaml:5:5: error: import: 'lobby' is not a room of the manifests; declare it under 'rooms' first"),
        ("import:\n  - {key: new, meetingroom_id: 42}\n  - {key: new, meetingroom_id: 43}\n",
         "m.yaml:6:5: error: import: 'new' imports meetingroom_id 43 here but 42 at m.yaml:5:5"),
        // prune
        ("prune: [\"*\"]\n", "m.yaml:4:8: error: expected a mapping with 'exclude', found a sequence"),
        ("prune:\n  exclud: [\"*\"]\n", "m.yaml:5:3: error: unknown field 'exclud'; did you mean 'exclude'?"),
        ("prune:\n  exclude: \"*\"\n", "m.yaml:5:12: error: expected a sequence of room-name patterns, found a string"),
        ("prune:\n  exclude: [\"\"]\n", "m.yaml:5:13: error: a prune.exclude pattern must not be empty"),
    ])
    func operationErrorsAreLocated(_ operations: String, _ expected: String) async {
        let run = await readManifests(["m.yaml": "version: 1\n\(Self.rooms)\(operations)"])
        #expect(run.lines == [expected])
        #expect(run.result.hasErrors)
    }

    @Test(arguments: [
        ("ignore_changes: [capacty]", "m.yaml:3:48: error: ignore_changes: unknown field 'capacty'; did you mean 'capacity'?"),
        ("ignore_changes: [colour]",
         "m.yaml:3:48: error: ignore_changes: unknown field 'colour'; expected one of: name, capacity, location, equipment, coordinate, range"),
        ("ignore_changes: capacity", "m.yaml:3:47: error: expected a sequence of field names, found a string"),
        ("ignore_changes: [floor]", "m.yaml:3:48: error: ignore_changes: unknown field 'floor'; expected one of: name, capacity, location, equipment, coordinate, range"),
    ])
    func ignoreChangesErrorsAreLocated(_ field: String, _ expected: String) async {
        let run = await readManifests(["m.yaml": "version: 1\nrooms:\n  new: {name: A, capacity: 1, \(field)}\n"])
        #expect(run.lines == [expected])
    }

    @Test func anEntryRepeatedInAnotherFileWithAnotherMeaningNamesBothPlaces() async {
        let run = await readManifests([
            "a.yaml": "version: 1\nrooms: {}\nmoved:\n  - {from: old, to: x}\nimport:\n  - {key: x, meetingroom_id: 1}\n",
            "b.yaml": "version: 1\nrooms:\n  x: {name: X, capacity: 1}\n  y: {name: Y, capacity: 1}\nmoved:\n  - {from: old, to: other}\nimport:\n  - {key: y, meetingroom_id: 1}\n",
        ])
        #expect(run.lines == [
            "b.yaml:6:5: error: moved: 'old' is moved to 'other' here but to 'x' at a.yaml:4:5",
            "b.yaml:8:5: error: import: meetingroom_id 1 is imported as 'y' here but as 'x' at a.yaml:6:5",
        ])
    }
}
