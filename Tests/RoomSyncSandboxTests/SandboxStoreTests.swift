import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// The store's rules (SPEC section 6), through the embedded sandbox, which has no HTTP in the way.
@Suite struct SandboxStoreTests {
    let shenzhen = (city: "深圳", building: "腾讯大厦")
    let tower = Coordinate(latitude: "22.540503", longitude: "113.934528")

    func room(_ name: String, floor: String? = nil, coordinate: Coordinate? = nil) -> AddMeetingRoomRequest {
        AddMeetingRoomRequest(
            name: name, capacity: 10, city: floor == nil ? nil : shenzhen.city,
            building: floor == nil ? nil : shenzhen.building, floor: floor, coordinate: coordinate
        )
    }

    @Test func idsIncreaseAndAreNeverReusedEvenAfterARestart() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("nested/dir/sandbox.json").path
            let sandbox = try EmbeddedSandbox(dataFile: file)
            #expect(sandbox.targetDescription == "sandbox:\(file)")
            #expect(try await sandbox.addMeetingRoom(room("A")) == 1)
            #expect(try await sandbox.addMeetingRoom(room("B")) == 2)
            try await sandbox.deleteMeetingRoom(.init(meetingroomID: 2))
            #expect(try await sandbox.addMeetingRoom(room("C")) == 3)
            try await sandbox.deleteMeetingRoom(.init(meetingroomID: 3))

            let restarted = try EmbeddedSandbox(dataFile: file)
            #expect(try await restarted.listMeetingRooms(.init()).map(\.name) == ["A"])
            #expect(try await restarted.addMeetingRoom(room("D")) == 4)
        }
    }

    @Test func aFailedPersistLeavesNoTemporaryFileAndNoChange() async throws {
        // The store saves through the same atomic write as the state: a write that cannot land (here the data
        // file's name is taken by a folder) removes its temporary file and the call takes no effect.
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sandbox.json")
            let sandbox = try EmbeddedSandbox(dataFile: file.path)
            #expect(try await sandbox.addMeetingRoom(room("A")) == 1)
            try FileManager.default.removeItem(at: file)
            try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
            await #expect(throws: (any Error).self) { try await sandbox.addMeetingRoom(room("B")) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["sandbox.json"])
            #expect(try await sandbox.listMeetingRooms(.init()).map(\.name) == ["A"])
        }
    }

    @Test func persistenceRoundTripKeepsEveryField() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sandbox.json").path
            let sandbox = try EmbeddedSandbox(dataFile: file, showRange: true)
            var request = room("18F-会议室", floor: "18F", coordinate: tower)
            request.equipment = [3, 1, 2]
            request.range = RoomRange(userList: ["zhangsan", "lisi"], departmentList: [1])
            _ = try await sandbox.addMeetingRoom(request)
            let before = try await sandbox.listMeetingRooms(.init())
            let after = try await EmbeddedSandbox(dataFile: file, showRange: true).listMeetingRooms(.init())
            #expect(after == before)
            #expect(after.first?.equipment == [1, 2, 3])
            #expect(after.first?.coordinate == tower)
            #expect(after.first?.range == request.range)
            #expect(after.first?.needApproval == 0)
            // The write is atomic: no temporary file is left next to the data file.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["sandbox.json"])
        }
    }

    @Test func aCorruptDataFileIsAClearError() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sandbox.json")
            try Data("{\"rooms\": [".utf8).write(to: file)
            let error = #expect(throws: RoomSyncError.self) { try EmbeddedSandbox(dataFile: file.path) }
            #expect(error?.code == .sandboxDataNotJSON)
            #expect(error?.description.contains(file.path) == true)
        }
    }

    @Test func aFailedSaveUndoesTheChange() async throws {
        try await withTemporaryDirectory { directory in
            // The data file's "directory" is a regular file, so every save fails.
            let blocker = directory.appendingPathComponent("blocker")
            try Data().write(to: blocker)
            let sandbox = try EmbeddedSandbox(dataFile: blocker.appendingPathComponent("sandbox.json").path)
            let error = try await #require(throws: MeetingRoomAPIError.self) {
                _ = try await sandbox.addMeetingRoom(room("A"))
            }
            #expect(error.errcode == WeComErrcode.busy)
            #expect(try await sandbox.listMeetingRooms(.init()).isEmpty)
        }
    }

    @Test func memoryKeepsNothing() async throws {
        let first = try EmbeddedSandbox(dataFile: ":memory:")
        _ = try await first.addMeetingRoom(room("A"))
        let second = try EmbeddedSandbox(dataFile: ":memory:")
        #expect(try await second.listMeetingRooms(.init()).isEmpty)
    }

    @Test func editReplacesRangeAndLeavesOmittedFieldsAlone() async throws {
        let sandbox = try EmbeddedSandbox(dataFile: nil, showRange: true)
        var request = room("A", floor: "18F")
        request.equipment = [1, 2]
        request.range = RoomRange(userList: ["zhangsan", "lisi"], departmentList: [1, 2])
        let id = try await sandbox.addMeetingRoom(request)
        try await sandbox.editMeetingRoom(.init(meetingroomID: id, range: RoomRange(userList: ["wangwu"])))
        let edited = try #require(try await sandbox.listMeetingRooms(.init()).first)
        #expect(edited.range == RoomRange(userList: ["wangwu"], departmentList: []))
        #expect(edited.name == "A")
        #expect(edited.capacity == 10)
        #expect(edited.equipment == [1, 2])
        #expect(edited.location == RoomLocation(city: shenzhen.city, building: shenzhen.building, floor: "18F"))
    }

    @Test func rangeIsLeftOutOfListUnlessShowRange() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sandbox.json").path
            var request = room("A")
            request.range = RoomRange(userList: ["zhangsan"])
            _ = try await EmbeddedSandbox(dataFile: file).addMeetingRoom(request)
            #expect(try await EmbeddedSandbox(dataFile: file).listMeetingRooms(.init()).first?.range == nil)
            #expect(
                try await EmbeddedSandbox(dataFile: file, showRange: true).listMeetingRooms(.init()).first?.range
                    == request.range
            )
        }
    }

    @Test func buildingCoordinatesAreFixedOnceTheBuildingExists() async throws {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        let elsewhere = Coordinate(latitude: "1.0", longitude: "2.0")
        _ = try await sandbox.addMeetingRoom(room("18F", floor: "18F", coordinate: tower))
        let second = try await sandbox.addMeetingRoom(room("19F", floor: "19F", coordinate: elsewhere))
        try await sandbox.editMeetingRoom(.init(meetingroomID: second, coordinate: elsewhere))
        let rooms = try await sandbox.listMeetingRooms(.init())
        #expect(rooms.map(\.coordinate) == [tower, tower])
    }

    @Test func listFiltersNarrowByLocationAndEquipment() async throws {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        var a = room("A", floor: "18F")
        a.equipment = [1, 2, 3]
        var b = room("B", floor: "19F")
        b.equipment = [2, 3]
        _ = try await sandbox.addMeetingRoom(a)
        _ = try await sandbox.addMeetingRoom(b)
        _ = try await sandbox.addMeetingRoom(room("C"))
        let seedFilter = ListMeetingRoomsRequest(city: "深圳", building: "腾讯大厦", floor: "18F", equipment: [1, 2, 3])
        #expect(try await sandbox.listMeetingRooms(seedFilter).map(\.name) == ["A"])
        #expect(try await sandbox.listMeetingRooms(.init(city: "深圳")).map(\.name) == ["A", "B"])
        #expect(try await sandbox.listMeetingRooms(.init(equipment: [2, 3])).map(\.name) == ["A", "B"])
        #expect(try await sandbox.listMeetingRooms(.init(city: "北京")).isEmpty)
    }

    @Test func nameOfThirtyUnicodeScalarsIsAccepted() async throws {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        _ = try await sandbox.addMeetingRoom(room(String(repeating: "会", count: 30)))
    }

    /// Requests the store must refuse with 40058, and the parameter the errmsg must name.
    static let invalidCalls: [(String, String, @Sendable (EmbeddedSandbox) async throws -> Void)] = [
        ("name too long", "name", { _ = try await $0.addMeetingRoom(.init(name: String(repeating: "会", count: 31), capacity: 1)) }),
        ("empty name", "name", { _ = try await $0.addMeetingRoom(.init(name: "", capacity: 1)) }),
        ("zero capacity", "capacity", { _ = try await $0.addMeetingRoom(.init(name: "A", capacity: 0)) }),
        ("city only", "city/building/floor", { _ = try await $0.addMeetingRoom(.init(name: "A", capacity: 1, city: "深圳")) }),
        ("equipment 6", "equipment", { _ = try await $0.addMeetingRoom(.init(name: "A", capacity: 1, equipment: [1, 6])) }),
        ("1001 users", "range.user_list", {
            _ = try await $0.addMeetingRoom(.init(
                name: "A", capacity: 1, range: RoomRange(userList: (0...1000).map { "u\($0)" })
            ))
        }),
        ("1001 departments", "range.department_list", {
            _ = try await $0.addMeetingRoom(.init(name: "A", capacity: 1, range: RoomRange(departmentList: Array(0...1000))))
        }),
        ("coordinate without location", "coordinate", {
            _ = try await $0.addMeetingRoom(.init(name: "A", capacity: 1, coordinate: .init(latitude: "1", longitude: "2")))
        }),
        ("edit floor only", "city/building/floor", { try await $0.editMeetingRoom(.init(meetingroomID: 1, floor: "2F")) }),
        ("edit unknown id", "meetingroom_id", { try await $0.editMeetingRoom(.init(meetingroomID: 99, name: "B")) }),
        ("edit name too long", "name", {
            try await $0.editMeetingRoom(.init(meetingroomID: 1, name: String(repeating: "x", count: 31)))
        }),
        ("delete unknown id", "meetingroom_id", { try await $0.deleteMeetingRoom(.init(meetingroomID: 99)) }),
        ("building without city", "building", { _ = try await $0.listMeetingRooms(.init(building: "腾讯大厦")) }),
        ("floor without building", "floor", { _ = try await $0.listMeetingRooms(.init(city: "深圳", floor: "18F")) }),
    ]

    @Test(arguments: invalidCalls.indices)
    func invalidParametersAre40058NamingTheParameter(_ index: Int) async throws {
        let (_, parameter, call) = Self.invalidCalls[index]
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        _ = try await sandbox.addMeetingRoom(.init(name: "existing", capacity: 1))
        let error = try await #require(throws: MeetingRoomAPIError.self) { try await call(sandbox) }
        #expect(error.errcode == WeComErrcode.invalidParameter)
        #expect(error.message.contains("invalid parameter \(parameter):"))
        // A refused call changes nothing.
        #expect(try await sandbox.listMeetingRooms(.init()).map(\.name) == ["existing"])
    }

    @Test func callsAreCounted() async throws {
        let sandbox = try EmbeddedSandbox(dataFile: nil)
        _ = try await sandbox.addMeetingRoom(room("A"))
        _ = try await sandbox.listMeetingRooms(.init())
        _ = try? await sandbox.deleteMeetingRoom(.init(meetingroomID: 42))
        #expect(await sandbox.store.callCount("add") == 1)
        #expect(await sandbox.store.callCount("list") == 1)
        #expect(await sandbox.store.callCount("del") == 1)
        #expect(await sandbox.store.callCount("edit") == 0)
    }
}
