import Foundation
import RoomSyncTestSupport
import Testing

extension Integrations {
    /// apply's progress (SPEC section 5) as a person sees it: on a terminal (a pseudo-terminal from util-linux's
    /// `script`), one line redrawn in place with done/total, rate, ETA and failures; in a pipe, one line per
    /// operation.
    @Suite struct ApplyProgressEndToEndTests {
        @Test func terminalGetsOneUpdatingLineAndAPipeOneLinePerOperation() async throws {
            guard let script = PythonTools.which("script") else {
                print("skipped: terminalGetsOneUpdatingLine: util-linux's script is not installed")
                return
            }
            try await withWorkspace { ws in
                try ws.write(manifest(rooms: numberedRooms(6)))
                let command = "\(RoomSyncBinary.url.path) apply --auto-approve --parallelism 2 rooms.yaml"
                let terminal = try await Self.run(script, ["-qec", command, "/dev/null"], in: ws)
                #expect(terminal.status == 0, "\(terminal.stdout)")
                // Each redraw clears the line; the last one shows everything done.
                let redraws = terminal.stdout.components(separatedBy: "\r\u{1B}[2K").dropFirst()
                // At least one per operation; a loaded machine adds redraws for `still waiting` and retries, and a
                // note (an add settled by listing) clears the line before it is printed.
                #expect(redraws.count >= 6, "\(terminal.stdout.debugDescription)")
                #expect(redraws.allSatisfy { $0.hasPrefix("[") || $0.hasPrefix("note: ") }, "\(terminal.stdout.debugDescription)")
                let last = try #require(redraws.last)
                #expect(last.hasPrefix("[6/6] "), "\(last.debugDescription)")
                #expect(last.contains(" ops/s, ETA 0s, 0 failed"), "\(last.debugDescription)")
                #expect(!terminal.stdout.contains("added r1"), "a terminal gets no per-operation lines")

                try ws.write(manifest(rooms: numberedRooms(9)))
                let pipe = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "2")
                #expect(pipe.status == 0, "\(pipe)")
                let lines = pipe.stdout.split(separator: "\n").filter { $0.hasPrefix("added ") }
                #expect(lines.count == 3)
                #expect(!pipe.stdout.contains("\u{1B}[2K"))
            }
        }

        /// Runs `executable` in the workspace with its environment, stdout and stderr together.
        static func run(_ executable: String, _ arguments: [String], in ws: Workspace) async throws -> (status: Int32, stdout: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = ws.directory
            var environment = ProcessInfo.processInfo.environment
            for name in ["CI", "NO_COLOR", "WECOM_CORP_ID", "WECOM_CORP_SECRET", "WECOM_ENDPOINT"] { environment[name] = nil }
            environment.merge(ws.environment) { _, new in new }
            process.environment = environment
            let output = ws.directory.appendingPathComponent(".terminal-\(UUID().uuidString)")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: output) }
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            try handle.close()
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            ws.outputs.append(text)
            return (process.terminationStatus, text)
        }
    }
}
