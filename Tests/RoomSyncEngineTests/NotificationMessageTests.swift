import Foundation
import RoomSyncCore
import Testing

@testable import RoomSyncEngine

/// `--notify`'s messages (SPEC section 9): markdown for a WeCom group robot, never over 4096 bytes of UTF-8.
@Suite struct NotificationMessageTests {
    @Test func noNewDriftNoMessage() {
        var (state, live) = AcceptedDriftTests.world()
        state.acceptedDrift = DriftDetector.detect(state: state, live: live).acceptance
        #expect(NotificationMessage.drift(DriftDetector.detect(state: state, live: live), target: "t") == nil)
        live[0].capacity = 99
        let message = NotificationMessage.drift(DriftDetector.detect(state: state, live: live), target: "http://127.0.0.1:1 (corp ww)")
        #expect(message == """
            ## roomsync drift: 1 room(s) differ from the last apply
            > target: http://127.0.0.1:1 (corp ww)
            > <font color="warning">1 changed</font>, <font color="warning">0 deleted</font>, 0 unmanaged, 2 accepted earlier (not counted)
            - ~ **r1** (1) changed: capacity 10 → 99

            """)
    }

    @Test func bigDriftIsCutByBytesWithACount() throws {
        // 3,000 unmanaged rooms with Chinese names: three bytes a character, so a character count would overflow.
        let live = (1...3000).map { Fixture.live($0, name: "深圳腾讯大厦十八楼会议室\($0)") }
        let report = DriftDetector.detect(state: RoomSyncState(), live: live)
        let message = try #require(NotificationMessage.drift(report, target: "sandbox"))
        #expect(message.utf8.count <= 4096)
        #expect(message.utf8.count > 3900, "the message should use the room it has")
        let shown = message.split(separator: "\n").filter { $0.hasPrefix("- ? ") }.count
        #expect(message.hasSuffix("… and \(3000 - shown) more\n"))
        #expect(message.contains("## roomsync drift: 3000 room(s) differ"))
    }

    @Test(arguments: [0, 1, 5, 40, 4000])
    func fitNeverPassesTheLimit(lineBytes: Int) {
        for count in [1, 2, 10, 500] {
            let lines = (0..<count).map { "- \($0) " + String(repeating: "é", count: lineBytes / 2) }
            let text = NotificationMessage.fit(head: "## head\n", lines: lines)
            #expect(text.utf8.count <= 4096)
            #expect(text.hasPrefix("## head\n"))
            let kept = text.split(separator: "\n").filter { $0.hasPrefix("- ") }.count
            if kept < count { #expect(text.hasSuffix("… and \(count - kept) more\n"), "\(count) lines of \(lineBytes)") }
        }
    }

    @Test func applyMessageSaysWhatHappened() {
        let done = NotificationMessage.apply(succeeded: [.add: 3, .change: 1], failures: [], notStarted: 0, target: "t")
        #expect(done == "## roomsync apply complete\n> target: t\n> 3 added, 1 changed, 0 deleted, 0 adopted\n")
        let failed = NotificationMessage.apply(
            succeeded: [.add: 1], failures: [(key: "r9", action: "add", message: "errcode 40058: name\ntoo long")],
            notStarted: 2, target: "t")
        #expect(failed == """
            ## <font color="warning">roomsync apply failed</font>
            > target: t
            > 1 added, 0 changed, 0 deleted, 0 adopted, 1 failed, 2 not started
            - failed to add **r9**: errcode 40058: name too long

            """)
    }
}
