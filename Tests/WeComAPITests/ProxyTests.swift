import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing
import WeComAPI

/// Issue 15: proxies (`--proxy`, HTTPS_PROXY/HTTP_PROXY with NO_PROXY) through AsyncHTTPClient, and TLS that
/// fails at once with a line saying how to trust a company CA.
@Suite struct ProxyTests {
    @Test func anExplicitProxyWinsAndIsUsedEvenForLoopback() throws {
        let proxy = try #require(try ProxySettings.resolve(
            explicit: "http://alice:s3cret@proxy.corp:3128", endpoint: "http://127.0.0.1:9",
            environment: ["HTTPS_PROXY": "http://other:1"]))
        #expect(proxy.host == "proxy.corp" && proxy.port == 3128)
        #expect(proxy.username == "alice" && proxy.password == "s3cret")
        #expect(proxy.description == "http://REDACTED@proxy.corp:3128")
        #expect(proxy.source == "--proxy")
    }

    @Test func theEnvironmentIsReadByTheEndpointsScheme() throws {
        let environment = ["HTTPS_PROXY": "http://secure:3128", "HTTP_PROXY": "plain:8080"]
        let https = try ProxySettings.resolve(explicit: nil, endpoint: "https://qyapi.weixin.qq.com", environment: environment)
        #expect(https?.host == "secure" && https?.source == "HTTPS_PROXY")
        let http = try ProxySettings.resolve(explicit: nil, endpoint: "http://wecom.example:80", environment: environment)
        #expect(http?.host == "plain" && http?.port == 8080)
        // Lower case wins, as curl reads it.
        let lower = try ProxySettings.resolve(
            explicit: nil, endpoint: "https://qyapi.weixin.qq.com",
            environment: ["https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2"])
        #expect(lower?.host == "lower")
    }

    @Test(arguments: [
        ("qyapi.weixin.qq.com", true), ("weixin.qq.com", true), (".qq.com", true), ("*.qq.com", true), ("*", true),
        ("example.com, qq.com:443", true), ("other.com", false), ("xqq.com", false), ("", false),
    ])
    func noProxyBypassesTheHostsItNames(_ noProxy: String, _ bypassed: Bool) throws {
        let proxy = try ProxySettings.resolve(
            explicit: nil, endpoint: "https://qyapi.weixin.qq.com",
            environment: ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": noProxy])
        #expect((proxy == nil) == bypassed)
    }

    @Test(arguments: ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"])
    func loopbackIsNeverProxiedFromTheEnvironment(_ endpoint: String) throws {
        #expect(try ProxySettings.resolve(explicit: nil, endpoint: endpoint, environment: ["HTTP_PROXY": "http://p:1"]) == nil)
    }

    @Test(arguments: ["https://proxy:443", "ftp://proxy:21", "socks5://u:p@proxy:1080", "http://"])
    func unsupportedProxiesAreOneLineWithoutCredentials(_ url: String) {
        #expect(throws: ProxySettings.ParseError.self) { try ProxySettings(url: url) }
        do {
            _ = try ProxySettings(url: url)
        } catch {
            #expect(!"\(error)".contains("u:p"))
        }
    }

    @Test func callsGoThroughTheProxyWithCredentialsThatNeverShow() async throws {
        try await withServedSandbox { sandbox in
            try await withTestProxy(credentials: "alice:pa55-w0rd") { proxy in
                var configuration = sandbox.clientConfiguration()
                configuration.proxy = try ProxySettings(url: "http://alice:pa55-w0rd@127.0.0.1:\(proxy.port)")
                let logs = Recorder<String>()
                var logger = configuration.logger
                logger = .init(label: "test") { _ in RecordingLogHandler(recorder: logs) }
                configuration.logger = logger
                try await withWeComClient(configuration) { client in
                    let id = try await client.addMeetingRoom(.init(name: "Via proxy", capacity: 3))
                    #expect(try await client.listMeetingRooms(.init()).map(\.meetingroomID) == [id])
                }
                #expect(!proxy.connects.isEmpty)
                #expect(proxy.connects.allSatisfy { $0 == "127.0.0.1:\(sandbox.port)" })
                // Every call the sandbox saw came through the tunnel.
                let calls = await sandbox.store.callCount("gettoken") + sandbox.store.callCount("add")
                    + sandbox.store.callCount("list")
                #expect(proxy.tunnelledRequests == calls)
                #expect(proxy.authorizations.allSatisfy { $0 == "Basic " + Data("alice:pa55-w0rd".utf8).base64EncodedString() })
                #expect(logs.values.allSatisfy { !$0.contains("pa55-w0rd") })
            }
        }
    }

    @Test func aProxyThatRefusesTheCredentialsIsOneFinalLine() async throws {
        try await withServedSandbox { sandbox in
            try await withTestProxy(credentials: "alice:right") { proxy in
                var configuration = sandbox.clientConfiguration()
                configuration.proxy = try ProxySettings(url: "http://alice:wrong-pass@127.0.0.1:\(proxy.port)")
                try await withWeComClient(configuration) { client in
                    let error = try await #require(throws: MeetingRoomAPIError.self) {
                        try await client.listMeetingRooms(.init())
                    }
                    #expect(error.description.contains("refused roomsync's credentials (HTTP 407)"))
                    #expect(!error.description.contains("wrong-pass"))
                }
                #expect(proxy.refusedForCredentials == 1)
                #expect(await sandbox.store.callCount("gettoken") == 0)
            }
        }
    }

    @Test(.enabled(if: TestCertificate.opensslAvailable, "needs openssl to make a self-signed certificate"))
    func anUntrustedCertificateFailsAtOnceAndTheCAFileTrustsIt() async throws {
        try await withTemporaryDirectory { directory in
            let certificate = try await TestCertificate.make(in: directory)
            try await withServedSandbox { sandbox in
                try await withTLSFront(certificate: certificate, targetPort: sandbox.port) { front in
                    let events = Recorder<WeComClient.Event>()
                    var configuration = sandbox.clientConfiguration(onEvent: { events.append($0) })
                    configuration.endpoint = front.endpoint
                    try await withWeComClient(configuration) { client in
                        let error = try await #require(throws: MeetingRoomAPIError.self) {
                            try await client.listMeetingRooms(.init())
                        }
                        #expect(error.description.contains("the certificate of 127.0.0.1 is not trusted"))
                        #expect(error.description.contains("--ca-file PATH"))
                        #expect(!error.description.contains("\n"))
                    }
                    // Final: not retried.
                    #expect(!events.values.contains { if case .retrying = $0 { true } else { false } })
                    configuration.caFile = certificate.certificatePath
                    try await withWeComClient(configuration) { client in
                        _ = try await client.addMeetingRoom(.init(name: "Over TLS", capacity: 2))
                        #expect(try await client.listMeetingRooms(.init()).count == 1)
                    }
                }
            }
        }
    }

    @Test(.enabled(if: TestCertificate.opensslAvailable, "needs openssl to make a self-signed certificate"))
    func httpsGoesThroughTheProxyWithConnectEncryptedEndToEnd() async throws {
        try await withTemporaryDirectory { directory in
            let certificate = try await TestCertificate.make(in: directory)
            try await withServedSandbox { sandbox in
                try await withTLSFront(certificate: certificate, targetPort: sandbox.port) { front in
                    try await withTestProxy { proxy in
                        var configuration = sandbox.clientConfiguration()
                        configuration.endpoint = front.endpoint
                        configuration.caFile = certificate.certificatePath
                        configuration.proxy = try ProxySettings(url: proxy.url)
                        try await withWeComClient(configuration) { client in
                            _ = try await client.addMeetingRoom(.init(name: "Tunnelled", capacity: 2))
                            #expect(try await client.listMeetingRooms(.init()).count == 1)
                        }
                        #expect(!proxy.connects.isEmpty)
                        #expect(proxy.connects.allSatisfy { $0 == "127.0.0.1:\(front.port)" })
                        // The proxy saw only TLS: no request line in the clear.
                        #expect(proxy.tunnelledRequests == 0)
                        #expect(await sandbox.store.callCount("add") == 1)
                    }
                }
            }
        }
    }

    @Test func aCAFileWithoutCertificatesIsNamed() throws {
        try withTemporaryDirectorySync { directory in
            let path = directory.appendingPathComponent("empty.pem").path
            try "not a certificate".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: MeetingRoomAPIError.self) { try WeComClient.checkCAFile(path) }
            #expect(error.message.contains(path))
            #expect(throws: MeetingRoomAPIError.self) { try WeComClient.checkCAFile(path + ".missing") }
        }
    }
}

/// A temporary directory for synchronous tests.
func withTemporaryDirectorySync<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roomsync-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
