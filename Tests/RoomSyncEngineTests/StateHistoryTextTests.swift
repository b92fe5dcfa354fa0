import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import Testing

@Suite struct StateHistoryTextTests {
    @Test func rendersNewestFirstInColumns() {
        let at = Date(timeIntervalSince1970: 1_795_000_000)
        let entries = [
            StateHistoryEntry(
                serial: 7, at: at, writer: StateStoreContract.machineB, key: "sz-18f", action: "delete",
                meetingroomIDBefore: 4711, meetingroomIDAfter: nil),
            StateHistoryEntry(
                serial: 2, at: at, writer: StateStoreContract.machineA, key: "sz-18f", action: "add",
                meetingroomIDBefore: nil, meetingroomIDAfter: 4711),
        ]
        let lines = StateTransfer.render(entries).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("SERIAL  WHEN"))
        #expect(lines[1].hasPrefix("7       2026-") && lines[1].contains("delete  sz-18f  4711 → -"))
        #expect(lines[1].hasSuffix("bob@machine-b pid 202 (state rm)"))
        #expect(lines[2].contains("add     sz-18f  - → 4711"))
        #expect(StateTransfer.render([]) == "No recorded changes.\n")
    }
}
