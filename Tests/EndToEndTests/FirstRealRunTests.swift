#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing

/// Issue 15, through the built binary: what stops a first run against a real corp (untrusted address, missing
/// permission, the hourly limit, a proxy, a silent endpoint, a re-signing TLS proxy) ends with one line saying
/// what to do, and `doctor` finds it first. Serialized: each test runs the binary against servers in this process,
/// and twelve at once would starve the other suites' servers on a small machine.
@Suite(.serialized) struct FirstRealRunTests {
    static let twoRooms = manifest(rooms: ["a": room("A"), "b": room("B", floor: "19F")])

    @Test func anUntrustedAddressEndsWithThe60020LineAndDoctorSaysFail() async throws {
        var options = SandboxServer.Options()
        options.trustedIPs = [try #require(CIDR("203.0.113.0/24"))]
        try await withWorkspace(options) { ws in
            try ws.write(Self.twoRooms)
            let plan = try await ws.roomsync("plan")
            #expect(plan.status == 1, "\(plan)")
            let lines = plan.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(lines.count == 1, "\(plan)")
            let line = String(lines.first ?? "")
            #expect(line.contains("60020"))
            #expect(line.contains("WeCom refused the call from 127.0.0.1"))
            #expect(line.contains("add 127.0.0.1 to the app's 企业可信IP"))
            #expect(line.contains("--proxy"))

            let doctor = try await ws.roomsync("doctor")
            #expect(doctor.status == 1, "\(doctor)")
            let report = doctor.stdout.split(separator: "\n").map(String.init)
            #expect(report.contains { $0.hasPrefix("FAIL  trusted IP: WeCom refused the call from 127.0.0.1") && $0.contains("企业可信IP") }, "\(doctor)")
            // The other checks as they are.
            #expect(report.contains { $0.hasPrefix("ok    manifests: 2 room(s)") }, "\(doctor)")
            #expect(report.contains { $0.hasPrefix("ok    target: \(ws.endpoint)") }, "\(doctor)")
            #expect(report.contains { $0.hasPrefix("ok    gettoken:") }, "\(doctor)")
            #expect(report.contains { $0.hasPrefix("ok    state: none yet") }, "\(doctor)")
            #expect(report.contains { $0.hasPrefix("ok    state lock: not locked") }, "\(doctor)")
            // Doctor changed nothing.
            #expect(!FileManager.default.fileExists(atPath: ws.directory.appendingPathComponent(".roomsync").path))
        }
    }

    @Test func aForbiddenAPIEndsWithThe48002LineAndDoctorSaysFail() async throws {
        var options = SandboxServer.Options()
        options.forbiddenAPIs = Set(SandboxServer.meetingRoomAPIs)
        try await withWorkspace(options) { ws in
            try ws.write(Self.twoRooms)
            let plan = try await ws.roomsync("plan")
            #expect(plan.status == 1, "\(plan)")
            #expect(plan.stderr.contains("48002"))
            #expect(plan.stderr.contains("add it under 会议室 → 可调用接口的应用"), "\(plan)")

            let doctor = try await ws.roomsync("doctor")
            #expect(doctor.status == 1, "\(doctor)")
            let report = doctor.stdout.split(separator: "\n").map(String.init)
            #expect(report.contains { $0.hasPrefix("FAIL  meeting-room API:") && $0.contains("可调用接口的应用") }, "\(doctor)")
            #expect(report.contains { $0.hasPrefix("ok    trusted IP:") }, "\(doctor)")
            #expect(report.contains { $0.hasPrefix("ok    gettoken:") }, "\(doctor)")
        }
    }

    @Test func doctorPassesOnAReadyTargetAndNamesABadSecret() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.twoRooms)
            let doctor = try await ws.roomsync("doctor")
            #expect(doctor.status == 0, "\(doctor)")
            #expect(doctor.stdout.contains("ok    list: answers, 0 live room(s)"))
            #expect(!doctor.stdout.contains("FAIL"))

            let wrong = try await ws.run(["doctor"], environment: ["WECOM_CORP_SECRET": "not-the-secret"])
            #expect(wrong.status == 1)
            #expect(wrong.stdout.contains("FAIL  gettoken: WeCom error 40001"), "\(wrong)")
            #expect(wrong.stdout.contains("WECOM_CORP_SECRET"))
            #expect(!wrong.stdout.contains("not-the-secret") && !wrong.stderr.contains("not-the-secret"))
        }
    }

    @Test func doctorNamesWhoHoldsTheStateLockAndATargetMismatch() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.twoRooms)
            let apply = try await ws.roomsync("apply", "--auto-approve")
            #expect(apply.status == 0, "\(apply)")
            let lockPath = ws.statePath.path + ".lock"
            let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o644)
            #expect(descriptor >= 0)
            defer { close(descriptor) }
            #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
            let holder = "pid 4242 on test-host, started 2026-11-25T00:00:00Z\n"
            ftruncate(descriptor, 0)
            _ = holder.withCString { pwrite(descriptor, $0, strlen($0), 0) }
            let doctor = try await ws.run(["doctor"], environment: ["WECOM_CORP_ID": "ww-other"])
            #expect(doctor.status == 1)
            #expect(doctor.stdout.contains("FAIL  state lock: .roomsync/state.json is locked by pid 4242 on test-host"), "\(doctor)")
            #expect(doctor.stdout.contains("FAIL  gettoken: WeCom error 40013"), "\(doctor)")
            #expect(doctor.stdout.contains("FAIL  state target:"), "\(doctor)")
        }
    }

    @Test func anApplyOfAHundredAddsRidesTheShortWindowAndStopsAtTheLongOne() async throws {
        var options = SandboxServer.Options()
        options.rateLimits = try #require(SandboxServer.RateLimit.parseList("20/1s,40/4s"))
        try await withWorkspace(options) { ws in
            try ws.write(manifest(rooms: numberedRooms(100)))
            let apply = try await ws.roomsync("apply", "--auto-approve", "--parallelism", "8")
            let state = try ws.state()
            let live = try await ws.liveRooms()
            // Every success is recorded, nothing half-done.
            #expect(state.rooms.count == live.count)
            #expect(state.pendingAdds.isEmpty)
            #expect(Set(state.rooms.values.map(\.meetingroomID)) == Set(live.map(\.meetingroomID)))
            if apply.status == 0 {
                #expect(live.count == 100)
            } else {
                #expect(apply.stderr.contains("hourly limit"), "\(apply)")
                #expect(apply.stderr.contains("what succeeded is saved"), "\(apply)")
                // The short window was waited out (more than 20 went in) before the long one stopped it.
                #expect(live.count >= 20 && live.count < 100, "\(live.count)")
            }
            #expect(await ws.sandbox.store.rateLimitedAnswers > 0)
        }
    }

    @Test func twoRunsWithinTheTTLGetOneToken() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.twoRooms)
            for _ in 0..<2 { #expect(try await ws.roomsync("plan").status == 0) }
            #expect(await ws.sandbox.store.tokensIssued == 1)
            #expect(await ws.sandbox.store.callCount("gettoken") == 2)
        }
    }

    @Test func anApplyThroughTheProxyReachesTheSandboxOnlyThroughIt() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.twoRooms)
            try await withTestProxy(credentials: "builder:Pr0xy-Pa55") { proxy in
                let apply = try await ws.run(
                    ["apply", "--auto-approve", "--proxy", "http://builder:Pr0xy-Pa55@127.0.0.1:\(proxy.port)", "--verbose"])
                #expect(apply.status == 0, "\(apply)")
                let store = ws.sandbox.store
                var calls = 0
                for api in ["gettoken", "add", "list", "edit", "del"] { calls += await store.callCount(api) }
                #expect(calls > 0)
                #expect(proxy.tunnelledRequests == calls)
                #expect(proxy.connects.allSatisfy { $0 == "127.0.0.1:\(ws.sandbox.port)" })

                // A wrong password: one line, no password in it.
                let wrong = try await ws.run(["plan", "--proxy", "http://builder:Wr0ng-Pa55@127.0.0.1:\(proxy.port)"])
                #expect(wrong.status == 1)
                #expect(wrong.stderr.contains("HTTP 407"), "\(wrong)")
                // Doctor checks the proxy, and names it without its credentials.
                let doctor = try await ws.run(["doctor", "--proxy", "http://builder:Pr0xy-Pa55@127.0.0.1:\(proxy.port)"])
                #expect(doctor.status == 0, "\(doctor)")
                #expect(doctor.stdout.contains("ok    proxy http://REDACTED@127.0.0.1:\(proxy.port) (from --proxy): accepts connections"), "\(doctor)")
                let deadProxy = try await ws.run(["doctor", "--proxy", "http://builder:Pr0xy-Pa55@127.0.0.1:1", "--timeout", "5"])
                #expect(deadProxy.status == 1, "\(deadProxy)")
                #expect(deadProxy.stdout.contains("FAIL  proxy http://REDACTED@127.0.0.1:1 (from --proxy): cannot connect"), "\(deadProxy)")
                for run in [apply, wrong, doctor, deadProxy] {
                    #expect(!run.stdout.contains("Pa55") && !run.stderr.contains("Pa55"), "\(run)")
                }
            }
        }
    }

    @Test func proxyEnvironmentIsUsedAndNoProxyBypassesIt() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.twoRooms)
            try await withTestProxy { proxy in
                // A host name that resolves nowhere: only the proxy (which routes every host to 127.0.0.1) can
                // reach it, so success proves the proxy carried the calls.
                let endpoint = "http://wecom-sandbox.invalid:\(ws.sandbox.port)"
                let environment = ["WECOM_ENDPOINT": endpoint, "HTTP_PROXY": proxy.url]
                let viaProxy = try await ws.run(["plan", "--state", "via-proxy.json"], environment: environment)
                #expect(viaProxy.status == 0, "\(viaProxy)")
                let tunnelled = proxy.tunnelledRequests
                #expect(tunnelled >= 2)
                #expect(proxy.connects.allSatisfy { $0 == "wecom-sandbox.invalid:\(ws.sandbox.port)" })

                var bypass = environment
                bypass["NO_PROXY"] = "localhost,.invalid"
                let direct = try await ws.run(["plan", "--state", "direct.json", "--timeout", "5"], environment: bypass)
                #expect(direct.status == 1, "\(direct)")
                #expect(direct.stderr.contains("wecom-sandbox.invalid"), "\(direct)")
                #expect(proxy.tunnelledRequests == tunnelled)

                // Loopback endpoints are never proxied from the environment.
                let loopback = try await ws.run(["plan"], environment: ["HTTP_PROXY": proxy.url])
                #expect(loopback.status == 0, "\(loopback)")
                #expect(proxy.tunnelledRequests == tunnelled)
            }
        }
    }

    @Test func planAgainstASilentEndpointEndsWithinTheDeadlineNamingIt() async throws {
        try await withTemporaryDirectory { directory in
            try Self.twoRooms.write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            try await withSilentListener { listener in
                let started = ContinuousClock.now
                let plan = try await RoomSyncBinary.run(
                    ["plan", "--timeout", "3"], in: directory,
                    environment: ["WECOM_ENDPOINT": listener.endpoint, "WECOM_CORP_ID": "ww-x", "WECOM_CORP_SECRET": "s3cr3t-value"])
                let elapsed = ContinuousClock.now - started
                #expect(plan.status == 1, "\(plan)")
                let errors = plan.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
                #expect(errors.count == 1, "\(plan)")
                #expect(errors.first?.contains("no answer from \(listener.endpoint) within 3s") == true, "\(plan)")
                #expect(!plan.stderr.contains("s3cr3t-value"))
                #expect(listener.accepted >= 1)
                // Bounded by the deadline, not by ten attempts of thirty seconds (generous for a loaded machine).
                #expect(elapsed < .seconds(30), "\(elapsed)")
            }
        }
    }

    @Test func aSilentEndpointIsNotWaitedOnInSilence() async throws {
        // The one slow test here: the `still waiting` line comes after 10 s, as a user would see it.
        try await withTemporaryDirectory { directory in
            try Self.twoRooms.write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            try await withSilentListener { listener in
                let plan = try await RoomSyncBinary.run(
                    ["plan", "--timeout", "13"], in: directory,
                    environment: ["WECOM_ENDPOINT": listener.endpoint, "WECOM_CORP_ID": "ww-x", "WECOM_CORP_SECRET": "s3cr3t-value"])
                #expect(plan.status == 1, "\(plan)")
                let lines = plan.stderr.split(separator: "\n").map(String.init)
                #expect(lines.contains("note: still waiting for WeCom (attempt 2, last: timeout): gettoken"), "\(plan)")
                #expect(lines.last?.hasPrefix("error: gettoken: no answer from \(listener.endpoint) within 13s (2 attempt(s), last: timeout)") == true, "\(plan)")
            }
        }
    }

    @Test(.enabled(if: TestCertificate.opensslAvailable, "needs openssl to make a self-signed certificate"))
    func aSelfSignedCertificateFailsAtOnceAndTheCAFileFixesIt() async throws {
        try await withWorkspace { ws in
            try ws.write(Self.twoRooms)
            let certificate = try await TestCertificate.make(in: ws.directory)
            try await withTLSFront(certificate: certificate, targetPort: ws.sandbox.port) { front in
                let environment = ["WECOM_ENDPOINT": front.endpoint]
                let untrusted = try await ws.run(["plan", "--verbose"], environment: environment)
                #expect(untrusted.status == 1, "\(untrusted)")
                let errors = untrusted.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
                #expect(errors.count == 1, "\(untrusted)")
                #expect(errors.first?.contains("the certificate of 127.0.0.1 is not trusted") == true, "\(untrusted)")
                #expect(errors.first?.contains("--ca-file PATH (or SSL_CERT_FILE") == true)
                // At once: no retries.
                #expect(!untrusted.stderr.contains("retrying"), "\(untrusted)")

                let trusted = try await ws.run(["plan", "--ca-file", certificate.certificatePath], environment: environment)
                #expect(trusted.status == 0, "\(trusted)")
                let viaEnvironment = try await ws.run(
                    ["plan"], environment: environment.merging(["SSL_CERT_FILE": certificate.certificatePath]) { $1 })
                #expect(viaEnvironment.status == 0, "\(viaEnvironment)")
            }
        }
    }

    @Test func sandboxServeTakesTheFirstRunFlags() async throws {
        try await withTemporaryDirectory { directory in
            try Self.twoRooms.write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
            let credentials = ["WECOM_CORP_ID": "ww-sandbox", "WECOM_CORP_SECRET": "sandbox-secret"]
            for (flags, expected) in [
                (["--trusted-ips", "10.0.0.0/8,192.0.2.1"], "FAIL  trusted IP: WeCom refused the call from 127.0.0.1"),
                (["--forbidden-apis", "list,add", "--rate-limit", "100/60s,1000/3600s", "--max-concurrent", "4"],
                 "FAIL  meeting-room API: the app may not call"),
            ] {
                let server = try RoomSyncBinary.start(
                    ["sandbox", "serve", "--port", "0", "--data", ":memory:"] + flags, in: directory)
                do {
                    let endpoint = try await server.listeningEndpoint()
                    let doctor = try await RoomSyncBinary.run(
                        ["doctor"], in: directory, environment: credentials.merging(["WECOM_ENDPOINT": endpoint]) { $1 })
                    #expect(doctor.status == 1, "\(doctor)")
                    #expect(doctor.stdout.contains(expected), "\(doctor)")
                } catch {
                    server.kill()
                    _ = try await server.finish()
                    throw error
                }
                server.kill()
                _ = try await server.finish()
            }
            let bad = try await RoomSyncBinary.run(["sandbox", "serve", "--trusted-ips", "10.0.0.0/40"], in: directory)
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("'10.0.0.0/40' is not an address or CIDR block"), "\(bad)")
        }
    }
}
