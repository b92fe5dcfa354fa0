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
}
