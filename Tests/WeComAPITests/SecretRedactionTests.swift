import Foundation
import Logging
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing
import WeComAPI

/// SPEC section 7: the corp secret and access tokens never appear in output, logs or errors.
@Suite struct SecretRedactionTests {
    @Test func noSecretOrTokenInEventsErrorsOrLogs() async throws {
        let secret = "s3cr3t-corp-VALUE-42"
        var options = SandboxServer.Options()
        options.corpSecret = secret
        options.faultRate = 0.3
        options.dropRate = 0.2
        options.seed = 11
        try await withServedSandbox(options) { sandbox in
            let events = Recorder<WeComClient.Event>()
            let logs = Recorder<String>()
            var logger = Logger(label: "roomsync.test.redaction") { _ in RecordingLogHandler(recorder: logs) }
            logger.logLevel = .trace
            var errors: [String] = []
            let configuration = sandbox.clientConfiguration(
                retry: .init(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)),
                onEvent: events.append, logger: logger
            )
            try await withWeComClient(configuration) { client in
                for index in 0..<15 {
                    if index == 7 { await sandbox.store.expireAllTokens() }
                    do {
                        _ = try await client.addMeetingRoom(.init(name: "Room \(index)", capacity: 1))
                        _ = try await client.listMeetingRooms(.init())
                        try await client.editMeetingRoom(.init(meetingroomID: 999, name: "x"))
                    } catch {
                        errors.append(String(describing: error))
                    }
                }
            }
            var wrongSecret = configuration
            wrongSecret.corpSecret = secret + "-wrong"
            try await withWeComClient(wrongSecret) { client in
                do { _ = try await client.listMeetingRooms(.init()) } catch { errors.append(String(describing: error)) }
            }

            let tokens = await sandbox.store.issuedTokens()
            #expect(tokens.count >= 2)
            #expect(!errors.isEmpty)
            #expect(logs.values.contains { $0.contains("access_token=REDACTED") })
            let output = events.values.map(\.description) + errors + logs.values
            for text in output {
                #expect(!text.contains(secret), "secret in: \(text)")
                for token in tokens {
                    let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
                    #expect(!text.contains(token) && !text.contains(encoded), "token in: \(text)")
                }
            }
        }
    }
}
