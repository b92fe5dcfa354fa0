import RoomSyncCore
import Testing

@testable import RoomSyncEngine

/// The planner's index of the live rooms holds positions; it must answer what dictionaries of the rooms did.
@Suite struct LiveIndexTests {
    static func rooms(_ specs: [(Int, String)]) -> [MeetingRoom] {
        specs.map { MeetingRoom(meetingroomID: $0.0, name: $0.1, capacity: $0.0 % 7 + 1) }
    }

    static func check(_ live: [MeetingRoom]) {
        let index = LiveIndex(live)
        let sorted = live.sorted { $0.meetingroomID < $1.meetingroomID }
        #expect(index.rooms == sorted)
        var byID: [Int: MeetingRoom] = [:]
        var byName: [String: [MeetingRoom]] = [:]
        for room in sorted {
            byID[room.meetingroomID] = room
            byName[room.name, default: []].append(room)
        }
        for id in -1...(live.count + 2) { #expect(index.byID[id] == byID[id]) }
        for name in Set(live.map(\.name)).union(["nobody"]) { #expect(index.byName[name, default: []] == byName[name, default: []]) }
    }

    @Test func answersAsDictionariesOfTheRoomsDid() {
        Self.check([])
        Self.check(Self.rooms([(1, "a"), (2, "b"), (3, "a"), (4, "c"), (5, "a")]))
        // Out of order, shared names, an id listed twice.
        Self.check(Self.rooms([(5, "a"), (2, "b"), (9, "a"), (1, "a"), (2, "c"), (7, "b"), (3, "会议室")]))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            Self.check(Self.rooms((0..<60).map { _ in (Int.random(in: 1...40, using: &generator), ["x", "y", "z", "w"].randomElement(using: &generator)!) }))
        }
    }
}
