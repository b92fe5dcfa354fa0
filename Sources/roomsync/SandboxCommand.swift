import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncSandbox

extension RoomSyncCommand {
    struct Sandbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sandbox",
            abstract: "Run the WeCom meeting-room sandbox.",
            subcommands: [Serve.self]
        )
    }
}

extension RoomSyncCommand.Sandbox {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the sandbox over HTTP until killed.",
            discussion: """
                Implements WeCom's gettoken and oa/meetingroom/{add,list,edit,del}. The first line on stdout is \
                `listening on http://HOST:PORT`. Point roomsync at it with WECOM_ENDPOINT, WECOM_CORP_ID=ww-sandbox \
                and WECOM_CORP_SECRET=sandbox-secret.

                Examples:
                  roomsync sandbox serve --port 8080 --data :memory:
                  roomsync sandbox serve --port 0 --latency-ms 20 --fault-rate 0.3 --drop-rate 0.05 --seed 7
                  roomsync sandbox serve --rate-limit 100/1s --token-ttl 60
                """
        )

        @Option(help: "Address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "Port to listen on; 0 picks a free one.")
        var port = 0

        @Option(name: .customLong("data"), help: "Data file; `:memory:` keeps nothing.")
        var dataFile = ".roomsync/sandbox.json"

        @Option(help: "The corp id gettoken accepts.")
        var corpID = "ww-sandbox"

        @Option(help: "The corp secret gettoken accepts.")
        var corpSecret = "sandbox-secret"

        @Option(help: "Milliseconds to wait before every answer.")
        var latencyMs = 0

        @Option(help: "Seconds an access token stays valid.")
        var tokenTTL = 7200

        @Option(help: "Probability (0-1) of answering a call with an injected errcode, without applying it.")
        var faultRate = 0.0

        @Option(help: "Comma-separated errcodes to inject.")
        var faultErrcodes = "-1,45033"

        @Option(help: "Probability (0-1) of applying a call and then closing the connection with no answer.")
        var dropRate = 0.0

        @Option(help: "N calls per S seconds per API, then 45009 until the window ends (for example 100/1s).")
        var rateLimit: String?

        @Option(help: "Seed for fault and drop draws.")
        var seed: UInt64?

        @Flag(help: "Return `range` from list (WeCom does only for its meeting-room system app).")
        var showRange = false

        @Option(help: "Append every message posted to the group-robot webhook (/cgi-bin/webhook/send) to FILE, one JSON line each.")
        var webhookLog: String?

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
            guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1") }
            guard (0...1).contains(dropRate) else { throw ValidationError("--drop-rate must be between 0 and 1") }
            guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") }
            guard tokenTTL > 0 else { throw ValidationError("--token-ttl must be positive") }
            _ = try parsedErrcodes()
            if let rateLimit, SandboxServer.RateLimit(parsing: rateLimit) == nil {
                throw ValidationError("--rate-limit must look like N/Ss, for example 100/1s")
            }
        }

        private func parsedErrcodes() throws -> [Int] {
            let codes = faultErrcodes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !codes.isEmpty, codes.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--fault-errcodes must be a comma-separated list of integers")
            }
            return codes.compactMap { $0 }
        }

        func run() async throws {
            let options = SandboxServer.Options(
                host: host, port: port, dataFile: dataFile == ":memory:" ? nil : dataFile, corpID: corpID,
                corpSecret: corpSecret, latencyMs: latencyMs, tokenTTL: tokenTTL, faultRate: faultRate,
                faultErrcodes: try parsedErrcodes(), dropRate: dropRate,
                rateLimit: rateLimit.flatMap(SandboxServer.RateLimit.init(parsing:)), seed: seed, showRange: showRange,
                webhookLog: webhookLog
            )
            let server: SandboxServer
            do {
                server = try SandboxServer(options: options)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            try await server.runUntilSignalled { host, port in
                // Scripts wait for this line, so it must not sit in stdio's buffer: FileHandle writes at once.
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            }
        }
    }
}
