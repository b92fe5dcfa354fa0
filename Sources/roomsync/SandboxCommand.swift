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
                  roomsync sandbox serve --rate-limit 10000/60s,150000/3600s --max-concurrent 20
                  roomsync sandbox serve --trusted-ips 10.0.0.0/8 --forbidden-apis add,edit

                Errors are worded as WeCom's: `TEXT, hint: [HINT], from ip: ADDR, more info at \
                https://open.work.weixin.qq.com/devtool/query?e=ERRCODE`. With two rate-limit windows, a 45009 from \
                the longer one says `(long window)`, standing for WeCom's hourly limit.
                """
        )
        @OptionGroup var language: LanguageOptions

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

        @Option(help: "N calls per S seconds per API, one or two windows, then 45009 until the window ends (for example 100/1s or 10000/60s,150000/3600s).")
        var rateLimit: String?

        @Option(name: .customLong("trusted-ips"), help: "Comma-separated addresses or CIDR blocks meeting-room calls are accepted from; others get 60020.")
        var trustedIPs: String?

        @Option(name: .customLong("forbidden-apis"), help: "Comma-separated meeting-room APIs (add, list, edit, del, get_booking_info, book, cancel_book) the app may not call; they get 48002.")
        var forbiddenAPIs: String?

        @Option(help: "Meeting-room calls in flight at once beyond this get 45033.")
        var maxConcurrent: Int?

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
            if let rateLimit, SandboxServer.RateLimit.parseList(rateLimit) == nil {
                throw ValidationError("--rate-limit must look like N/Ss or N/Ss,M/Ts, for example 100/1s or 10000/60s,150000/3600s")
            }
            _ = try parsedTrustedIPs()
            _ = try parsedForbiddenAPIs()
            if let maxConcurrent, maxConcurrent < 1 { throw ValidationError("--max-concurrent must be at least 1") }
        }

        private func parsedTrustedIPs() throws -> [CIDR] {
            guard let trustedIPs else { return [] }
            switch CIDR.parseList(trustedIPs) {
            case .success(let blocks):
                guard !blocks.isEmpty else { throw ValidationError("--trusted-ips must name at least one address") }
                return blocks
            case .failure(let error): throw ValidationError("--trusted-ips: \(error)")
            }
        }

        private func parsedForbiddenAPIs() throws -> Set<String> {
            guard let forbiddenAPIs else { return [] }
            let names = forbiddenAPIs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names where !SandboxServer.meetingRoomAPIs.contains(name) {
                throw ValidationError(
                    "--forbidden-apis: unknown API '\(name)' (\(SandboxServer.meetingRoomAPIs.joined(separator: ", ")))")
            }
            return Set(names)
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
                seed: seed, showRange: showRange,
                rateLimits: rateLimit.flatMap(SandboxServer.RateLimit.parseList) ?? [],
                trustedIPs: try parsedTrustedIPs(), forbiddenAPIs: try parsedForbiddenAPIs(), maxConcurrent: maxConcurrent,
                webhookLog: webhookLog
            )
            try await reportingErrors {
                let server = try SandboxServer(options: options)
                try await server.runUntilSignalled { host, port in
                    // Scripts wait for this line, so it must not sit in stdio's buffer: FileHandle writes at once.
                    FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
                }
                FileHandle.standardError.write(Data("\(await server.store.servedSummary)\n".utf8))
            }
        }
    }
}
