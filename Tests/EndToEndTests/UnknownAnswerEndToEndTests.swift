import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Synchronization
import Testing

/// Issue 23, items 8 and 9 (SPEC 7): answers a gateway in front of WeCom gives and the sandbox never does, through
/// the built binary and a rewriting proxy in front of a served sandbox. Neither may make roomsync add or forget a
/// room a reviewed change did not ask for.
@Suite struct UnknownAnswerEndToEndTests {
    /// A workspace whose roomsync reaches the sandbox through a proxy that hands every request to `route`.
    func withProxiedWorkspace(
        route: @escaping @Sendable (ProxiedRequest, @escaping ProxyForward) async throws -> ProxyReply,
        _ body: (Workspace) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            try await withServedSandbox { sandbox in
                try await withRewritingProxy(to: sandbox.endpoint, route: route) { proxy in
                    let workspace = Workspace(directory: directory, endpoint: proxy.endpoint, sandbox: sandbox)
                    try await body(workspace)
                    try await workspace.checkNoSecretsLeaked()
                }
            }
        }
    }

    enum MissingRooms: String, CaseIterable, Sendable { case absent, null }

    /// A `list` answer without `meetingroom_list` (or with `null`) said "no rooms": every managed room was added
    /// again, and the state forgot the keys of rooms it no longer saw, protect flags with them.
    @Test(arguments: MissingRooms.allCases)
    func aListAnswerWithoutItsRoomsIsABadResponseNotNoRooms(_ missing: MissingRooms) async throws {
        let hiding = Mutex(false)
        try await withProxiedWorkspace(route: { request, forward in
            let answer = try await forward()
            guard request.operation == "oa/meetingroom/list", hiding.withLock({ $0 }) else { return .answer(answer) }
            return .answer(try answer.editingJSON { $0["meetingroom_list"] = missing == .null ? NSNull() : nil })
        }) { ws in
            try ws.write(manifest(rooms: ["a": room("A"), "b": room("B", extra: "protect: true\n"), "c": room("C")]))
            let first = try await ws.roomsync("apply", "--auto-approve")
            #expect(first.status == 0, "\(first)")
            // `b` leaves the manifest: it stays managed and protected in the state.
            try ws.write(manifest(rooms: ["a": room("A"), "c": room("C")]))
            let stateBefore = try Data(contentsOf: ws.statePath)
            let liveBefore = try await ws.liveRooms()
            #expect(liveBefore.count == 3)

            hiding.withLock { $0 = true }
            for command in [["plan"], ["drift"], ["apply", "--auto-approve"]] {
                let run = try await ws.run(command)
                #expect(run.status == 1, "\(command): \(run)")
                let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
                #expect(errors.count == 1 && errors.first?.contains("meetingroom_list") == true, "\(command): \(run)")
                #expect(!run.stdout.contains("+ "), "\(command) planned adds: \(run)")
            }
            #expect(try Data(contentsOf: ws.statePath) == stateBefore, "the state changed")
            hiding.withLock { $0 = false }
            #expect(Set(try await ws.liveRooms().map(\.meetingroomID)) == Set(liveBefore.map(\.meetingroomID)))
            #expect(try ws.state().rooms["b"]?.protect == true)
        }
    }

    enum LostAnswer: String, CaseIterable, Sendable {
        /// A gateway gave up on WeCom and answered 504.
        case gatewayTimeout
        /// The connection closed after the request was sent, before any answer.
        case connectionClosed
    }

    /// An add whose answer was lost, and which WeCom applies only after roomsync listed for it (a gateway's 504,
    /// the add landing 1.5 s later), was sent again: two rooms. It stays journaled and the next run settles it.
    @Test(arguments: LostAnswer.allCases)
    func anAddWhoseOutcomeIsUnknownIsNeverSentAgainInTheSameRun(_ lost: LostAnswer) async throws {
        let adds = Mutex(0)
        let held = Mutex<ProxyForward?>(nil)
        let landed = Landed()
        try await withProxiedWorkspace(route: { request, forward in
            switch request.operation {
            case "oa/meetingroom/add":
                let nth = adds.withLock { count in
                    count += 1
                    return count
                }
                guard nth == 1 else { return .answer(try await forward()) }
                held.withLock { $0 = forward }
                switch lost {
                case .gatewayTimeout:
                    return .answer(ProxiedAnswer(
                        status: 504, contentType: "text/html", body: Data("<html><body>504 Gateway Time-out</body></html>".utf8)))
                case .connectionClosed:
                    return .close
                }
            case "oa/meetingroom/list":
                // The list answer is read before the held add reaches WeCom: the room is not in it.
                let answer = try await forward()
                if let add = held.withLock({ held in defer { held = nil }; return held }) {
                    Task {
                        _ = try? await add()
                        landed.set()
                    }
                }
                return .answer(answer)
            default:
                return .answer(try await forward())
            }
        }) { ws in
            try ws.write(manifest(rooms: ["lobby": room("Lobby")]))
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("outcome unknown") && apply.stderr.contains("journaled"), "\(apply)")
            #expect(adds.withLock { $0 } == 1, "the add was sent again: \(apply)")
            #expect(try ws.state().pendingAdds.map(\.key) == ["lobby"], "the journal is kept for the next run")

            // WeCom applies the add after the run ended.
            let deadline = ContinuousClock.now + .seconds(20)
            while !landed.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(landed.isSet)

            let next = try await ws.roomsync("apply", "--auto-approve")
            #expect(next.status == 0, "\(next)")
            #expect(next.stdout.contains("had created meetingroom_id") || next.stderr.contains("had created meetingroom_id"), "\(next)")
            let live = try await ws.liveRooms()
            #expect(live.count == 1, "two rooms for one key: \(live)")
            #expect(adds.withLock { $0 } == 1)
            let state = try ws.state()
            #expect(state.rooms["lobby"]?.meetingroomID == live.first?.meetingroomID)
            #expect(state.pendingAdds.isEmpty)
            let plan = try await ws.roomsync("plan", "--detailed-exitcode")
            #expect(plan.status == 0, "\(plan)")
        }
    }
}

/// Set once the held add has reached the sandbox.
private final class Landed: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
