import Foundation
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 25 item 3: an error a library raises (NIO's bind, Foundation's read, AsyncHTTPClient's connect) reaches the
/// user as one line of roomsync's that names the port, file or host involved, never the library's own text.
@Suite struct LibraryErrorTests {
    @Test func servingTheSandboxOnATakenPortNamesThePort() async throws {
        try await withTemporaryDirectory { directory in
            try await withServedSandbox { taken in
                let serve = try await RoomSyncBinary.run(
                    ["sandbox", "serve", "--port", String(taken.port), "--data", ":memory:"], in: directory)
                #expect(serve.status == 1, "\(serve)")
                #expect(serve.stderr == "error: cannot listen on 127.0.0.1:\(taken.port): Address already in use\n", "\(serve)")
            }
        }
    }

    @Test func aSandboxDataPathThatIsAFolderIsOneLine() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("data-dir"), withIntermediateDirectories: true)
            try "version: 1\nrooms:\n  a: {name: A, capacity: 3}\n".write(
                to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            let expected = "error: cannot read the sandbox data file data-dir: Is a directory\n"
            let plan = try await RoomSyncBinary.run(["plan", "--sandbox", "--sandbox-data", "data-dir", "rooms.yaml"], in: directory)
            #expect(plan.status == 1, "\(plan)")
            #expect(plan.stderr == expected, "\(plan)")
            let serve = try await RoomSyncBinary.run(["sandbox", "serve", "--port", "0", "--data", "data-dir"], in: directory)
            #expect(serve.status == 1, "\(serve)")
            #expect(serve.stderr == expected, "\(serve)")
        }
    }

    @Test func aRobotWhosePortRefusesNamesHostAndPort() async throws {
        try await withWorkspace { ws in
            try ws.write(manifest(rooms: numberedRooms(1)))
            let apply = try await ws.run(
                ["apply", "--auto-approve", "--notify"],
                environment: ["ROOMSYNC_WEBHOOK_URL": "http://127.0.0.1:1/cgi-bin/webhook/send?key=robot-key"])
            #expect(apply.status == 0, "\(apply)")
            let warnings = apply.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: --notify") }
            #expect(
                warnings == ["warning: --notify: the notification was not sent: cannot reach the group robot at 127.0.0.1:1: connection refused"],
                "\(apply)")
        }
    }
}
