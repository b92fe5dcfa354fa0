import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// `export` then `plan` round-trips (SPEC section 3): whatever `list` returns, the manifest validates, every key is
/// unique, the rooms the state manages keep their keys, and the plan of it only imports the others; once they are
/// imported (what the apply of that plan does), a plan has no changes. Export itself writes no state.
@Suite struct ExporterTests {
    /// Exports `live`, reads the manifest back as `validate` does, plans it against `state` (imports only), then
    /// imports its `import:` entries as apply would and plans again (no changes). Returns the state after that.
    func roundTrip(
        _ live: [MeetingRoom], state: RoomSyncState = RoomSyncState(), sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> (export: ManifestExporter.Export, read: ManifestReadResult, imported: RoomSyncState) {
        let export = ManifestExporter.export(live: live, state: state)
        let read = ManifestReader.read(bytes: Array(export.manifest.utf8), name: "rooms.yaml")
        #expect(!read.hasErrors, "\(read.diagnostics)\n\(export.manifest)", sourceLocation: sourceLocation)
        let plan = try Planner.plan(desired: read.rooms, live: live, state: state, operations: read.operations)
        #expect(plan.changes.allSatisfy { $0.action == .import && $0.fields.isEmpty }, "\(plan.changes)\n\(export.manifest)", sourceLocation: sourceLocation)
        #expect(plan.changes.count == export.imports, sourceLocation: sourceLocation)
        #expect(read.operations.imports.count == export.imports, sourceLocation: sourceLocation)
        var imported = state
        for entry in read.operations.imports {
            try StateEdits.importRoom(key: entry.key, meetingroomID: entry.meetingroomID, live: live, state: &imported)
        }
        let after = try Planner.plan(desired: read.rooms, live: live, state: imported, operations: read.operations)
        #expect(!after.hasChanges, "\(after.changes)\n\(export.manifest)", sourceLocation: sourceLocation)
        // A managed room edited in the console is exported as it is live, so the manifest asks for what live has:
        // its last-applied record catches up, with no call (SPEC 4). Nothing else in the state changes.
        let lagging = Set(state.rooms.filter { _, managed in
            live.first { $0.meetingroomID == managed.meetingroomID }.map { $0 != managed.applied } ?? false
        }.keys)
        #expect(Set(after.recordUpdates.keys) == lagging, "\(after)", sourceLocation: sourceLocation)
        #expect(after.protectUpdates.isEmpty && after.ignoreChangesUpdates.isEmpty && after.forgottenKeys.isEmpty, "\(after)", sourceLocation: sourceLocation)
        return (export, read, imported)
    }

    @Test func managedRoomsKeepTheirKeysAndOnlyTheOthersAreImported() throws {
        let lobby = Fixture.live(3, name: "Lobby")
        var drifted = Fixture.live(5, name: "Board")
        drifted.capacity = 30
        let state = Fixture.state([("sz-lobby", lobby), ("board", Fixture.live(5, name: "Board"))], protect: ["sz-lobby"])
        let live = [lobby, drifted, Fixture.live(7, name: "Hand")]
        let (export, read, imported) = try roundTrip(live, state: state)
        #expect(export.rooms == 3)
        #expect(export.imports == 1)
        #expect(read.rooms.map(\.key) == ["board", "hand", "sz-lobby"])
        #expect(read.rooms.first { $0.key == "sz-lobby" }?.protect == true)
        #expect(read.operations.imports.map { "\($0.key)=\($0.meetingroomID)" } == ["hand=7"])
        #expect(export.manifest.hasSuffix("import:\n  - {key: \"hand\", meetingroom_id: 7}\n"), "\(export.manifest)")
        // The managed rooms' entries are the state's, untouched: export does not overwrite a last-applied record.
        #expect(imported.rooms["board"] == state.rooms["board"])
        #expect(imported.rooms["sz-lobby"] == state.rooms["sz-lobby"])
    }

    @Test func needApprovalIsReadOnlyKeptInTheStateAndShownAsAComment() throws {
        var approved = Fixture.live(4, name: "Board")
        approved.needApproval = 1
        let (export, read, imported) = try roundTrip([approved, Fixture.live(5, name: "Open")])
        #expect(export.manifest.contains("    # need_approval: 1 (bookings need approval; set in the admin console, roomsync never changes it)\n"))
        #expect(export.manifest.components(separatedBy: "need_approval").count == 2, "only the room that needs approval says so")
        #expect(imported.rooms.values.first { $0.meetingroomID == 4 }?.applied.needApproval == 1)
        #expect(read.rooms.count == 2)
    }

    @Test func generatedKeysNeverCollide() throws {
        // "A-8" takes `a-8`; the second "A" used to be given `a-8` too, which made the manifest invalid and left
        // one of the rooms silently unmanaged.
        let live = [
            Fixture.live(2, name: "A-8"), Fixture.live(5, name: "A"), Fixture.live(8, name: "A"),
            Fixture.live(9, name: "a 8"), Fixture.live(12, name: "A-8-12"),
        ]
        let (_, read, imported) = try roundTrip(live)
        #expect(Set(imported.rooms.keys).count == live.count)
        #expect(Set(read.rooms.map(\.key)).count == live.count)
        #expect(imported.managedIDs == Set(live.map(\.meetingroomID)))
    }

    @Test func generatedKeysAvoidKeysTheStateAlreadyHas() throws {
        let kept = Fixture.live(3, name: "Lobby")
        var state = Fixture.state([("lobby-7", kept)])
        state.target = nil
        let live = [kept, Fixture.live(7, name: "Lobby"), Fixture.live(9, name: "Lobby")]
        let (export, _, imported) = try roundTrip(live, state: state)
        #expect(imported.rooms["lobby-7"]?.meetingroomID == 3)
        #expect(Set(imported.rooms.keys).count == 3)
        #expect(export.imports == 2)
    }

    @Test func longNamesAndHugeIDsStillMakeValidKeys() throws {
        // Thirty Chinese characters make a slug longer than a key may be; the id added to tell twins apart must
        // still fit in 64 characters.
        let name = String(repeating: "会议室", count: 10)
        let top = Int(Int32.max)
        let live = [Fixture.live(1, name: name), Fixture.live(top, name: name), Fixture.live(top - 1, name: name)]
        let (_, _, imported) = try roundTrip(live)
        #expect(imported.rooms.count == 3)
        var keys = KeyMaker(used: [])
        let made = [1, Int.max, Int.max - 1].map { keys.makeKey(for: Fixture.live($0, name: name)) }
        #expect(Set(made).count == 3)
        #expect(made.allSatisfy(ManifestRules.isValidKey), "\(made)")
    }

    @Test func anUnmanagedRoomWhoseIDNoImportEntryTakesStaysUnmanagedWithAWarning() throws {
        // WeCom's ids are 32-bit; a manifest's `import:` takes no other, so such a room cannot be adopted by one.
        let (export, read, _) = try roundTrip([Fixture.live(Int.max, name: "Huge"), Fixture.live(2, name: "Fine")])
        #expect(read.rooms.map(\.key) == ["fine"])
        #expect(export.warnings == [
            "meetingroom_id \(Int.max) (Huge) left out of the manifest (an import: entry takes a meetingroom_id of 1-2147483647); "
                + "it stays unmanaged, so `--prune` would delete it"
        ])
    }

    @Test func unknownEquipmentLeavesEquipmentUnmanagedWithAWarning() throws {
        let live = [Fixture.live(4, name: "Studio", equipment: [1, 9, 3])]
        let (export, read, imported) = try roundTrip(live)
        #expect(read.rooms.first?.equipment == nil)
        #expect(export.warnings == [
            "room 'studio' (meetingroom_id 4): equipment left out of the manifest (id 9 is unknown to this roomsync); "
                + "roomsync leaves it alone"
        ])
        #expect(export.manifest.contains("    # equipment left out: id 9 is unknown to this roomsync\n"))
        // Once imported, the state records what WeCom has, so drift sees a console change to it.
        #expect(imported.rooms["studio"]?.applied.equipment == [1, 9, 3])
    }

    @Test(arguments: [("", "腾讯大厦", "18F"), ("深圳", "", "18F"), ("深圳", "腾讯大厦", ""), ("", "", "")])
    func emptyLocationPartsLeaveTheLocationOut(city: String, building: String, floor: String) throws {
        let live = [
            MeetingRoom(
                meetingroomID: 6, name: "Corner", capacity: 4, city: city, building: building, floor: floor, equipment: [],
                coordinate: Fixture.towerCoordinate, needApproval: 0)
        ]
        let (export, read, _) = try roundTrip(live)
        #expect(read.rooms.first?.location == nil)
        #expect(read.rooms.first?.coordinate == nil)
        #expect(export.warnings.count == 1)
        #expect(export.warnings.first?.hasPrefix("room 'corner' (meetingroom_id 6): ") == true)
    }

    @Test func fieldsAManifestCannotHoldAreLeftOutNeverInvalid() throws {
        // Values WeCom might list that a manifest refuses: each is left out (or the room left unmanaged), with a
        // warning, and the result still validates and plans empty.
        var badRange = Fixture.live(10, name: "Range")
        badRange.range = RoomRange(userList: ["", "lisi"], departmentList: [0])
        var badCoordinate = Fixture.live(11, name: "Coord")
        badCoordinate.coordinate = Coordinate(latitude: "north", longitude: "200")
        let live = [
            badRange, badCoordinate,
            Fixture.live(12, name: "Zero", capacity: 0),
            Fixture.live(13, name: String(repeating: "长", count: 31)),
            Fixture.live(14, name: ""),
            Fixture.live(15, name: "Fine"),
        ]
        let (export, read, imported) = try roundTrip(live)
        #expect(Set(read.rooms.map(\.key)) == ["range", "coord", "fine"])
        #expect(read.rooms.first { $0.key == "range" }?.range == nil)
        #expect(read.rooms.first { $0.key == "coord" }?.coordinate == nil)
        // Rooms whose name or capacity no manifest can hold stay unmanaged, and are said to.
        #expect(imported.managedIDs == [10, 11, 15])
        #expect(export.warnings.count == 5, "\(export.warnings)")
        #expect(export.warnings.contains {
            $0 == "meetingroom_id 12 (Zero) left out of the manifest (capacity 0 is outside 1-100000); "
                + "it stays unmanaged, so `--prune` would delete it"
        })
        #expect(export.manifest.contains("  # meetingroom_id 12 left out: capacity 0 is outside 1-100000\n"))
    }

    @Test func namesWithAnyCharacterRoundTrip() throws {
        // libyaml refuses C1 controls and noncharacters even inside quotes, and folds line breaks (NEL, LS, PS)
        // into spaces: they must be escaped.
        let names = ["tab\there", "quote \" and \\", "c1 \u{85}\u{9F}", "nonchar \u{FFFE}\u{FFFF}", "ls \u{2028}ps\u{2029}", "bom \u{FEFF}", "del \u{7F}", "yes", "null", "1e3", "  ", "#x: y"]
        let live = names.enumerated().map { Fixture.live($0.offset + 1, name: $0.element) }
        let (_, read, _) = try roundTrip(live)
        #expect(read.rooms.map(\.name).sorted() == names.sorted())
    }

    @Test(arguments: [
        ("18F-会议室", "18f-hui-yi-shi"),
        ("大会议室", "da-hui-yi-shi"),
        // Phrases read as phrases (SPEC 12), not character by character (`zhong-qing`, `zhang-sha`, `sha-men`).
        ("重庆大厦", "chong-qing-da-sha"),
        ("长沙银行 3F", "chang-sha-yin-hang-3f"),
        ("厦门·大会议室", "xia-men-da-hui-yi-shi"),
        ("Café Crème", "cafe-creme"),
        ("🎉🎉", "room-21"),
    ])
    func keysAreReadable(name: String, key: String) throws {
        let (_, read, imported) = try roundTrip([Fixture.live(21, name: name)])
        #expect(Array(imported.rooms.keys) == [key])
        #expect(read.operations.imports.map(\.key) == [key])
    }

    @Test func keysWhoseRoomIsGoneAreLeftOutAndSaidSo() throws {
        // Not in the manifest, so the next plan says it forgets the key (ForgottenKeyTests); export only says so.
        let state = Fixture.state([("gone", Fixture.live(40, name: "Gone")), ("here", Fixture.live(41, name: "Here"))])
        let export = ManifestExporter.export(live: [Fixture.live(41, name: "Here")], state: state)
        let read = ManifestReader.read(bytes: Array(export.manifest.utf8), name: "rooms.yaml")
        #expect(read.rooms.map(\.key) == ["here"])
        #expect(export.imports == 0)
        #expect(!export.manifest.contains("import:"))
        #expect(export.warnings == [
            "room 'gone' (meetingroom_id 40) is in the state but not live; left out of the manifest, so the next plan forgets it"
        ])
    }

    @Test func aManagedRoomNoManifestCanHoldIsSaidToBeDeletedByTheNextPlan() throws {
        let state = Fixture.state([("zero", Fixture.live(12, name: "Zero"))])
        let export = ManifestExporter.export(live: [Fixture.live(12, name: "Zero", capacity: 0)], state: state)
        #expect(export.rooms == 0)
        #expect(export.warnings == [
            "room 'zero' (meetingroom_id 12, Zero) left out of the manifest (capacity 0 is outside 1-100000); "
                + "the state manages it, so a plan of this manifest deletes it unless you declare it by hand"
        ])
    }
}
