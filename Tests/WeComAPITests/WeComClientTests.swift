import Foundation
import Hummingbird
import Logging
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing
import WeComAPI

/// `WeComClient` against a live served sandbox on a random loopback port.
@Suite struct WeComClientTests {
    @Test func everyEndpointRoundTrips() async throws {
        var options = SandboxServer.Options()
        options.showRange = true
        try await withServedSandbox(options) { sandbox in
            try await withWeComClient(sandbox.clientConfiguration()) { client in
                #expect(client.targetDescription == sandbox.endpoint)
                let range = RoomRange(userList: ["zhangsan", "lisi"], departmentList: [1])
                let id = try await client.addMeetingRoom(.init(
                    name: "18F-会议室", capacity: 10, city: "深圳", building: "腾讯大厦", floor: "18F",
                    equipment: [1, 2, 3], coordinate: .init(latitude: "22.540503", longitude: "113.934528"),
                    range: range
                ))
                #expect(id == 1)
                var rooms = try await client.listMeetingRooms(.init(city: "深圳", building: "腾讯大厦"))
                #expect(rooms == [MeetingRoom(
                    meetingroomID: 1, name: "18F-会议室", capacity: 10, city: "深圳", building: "腾讯大厦",
                    floor: "18F", equipment: [1, 2, 3], coordinate: .init(latitude: "22.540503", longitude: "113.934528"),
                    needApproval: 0, range: range
                )])
                try await client.editMeetingRoom(.init(meetingroomID: id, capacity: 12, equipment: []))
                rooms = try await client.listMeetingRooms(.init())
                #expect(rooms.first?.capacity == 12)
                #expect(rooms.first?.equipment == [])
                #expect(rooms.first?.name == "18F-会议室")
                try await client.deleteMeetingRoom(.init(meetingroomID: id))
                let listed = try await client.listMeetingRooms(.init())
                #expect(listed.isEmpty)
                // One token served every call.
                #expect(await sandbox.store.tokensIssued == 1)
            }
        }
    }

    @Test(arguments: [("nope", "sandbox-secret", WeComErrcode.badCorpID), ("ww-sandbox", "nope", WeComErrcode.badSecret)])
    func badCredentialsAreWeComErrorsNotRetried(_ corpID: String, _ secret: String, _ errcode: Int) async throws {
        try await withServedSandbox { sandbox in
            var configuration = sandbox.clientConfiguration()
            configuration.corpID = corpID
            configuration.corpSecret = secret
            try await withWeComClient(configuration) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(error.errcode == errcode)
                #expect(error.operation == "gettoken")
                #expect(await sandbox.store.callCount("gettoken") == 1)
                #expect(await sandbox.store.callCount("list") == 0)
            }
        }
    }

    @Test func invalidParametersAre40058AndNotRetried() async throws {
        try await withServedSandbox { sandbox in
            try await withWeComClient(sandbox.clientConfiguration()) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.editMeetingRoom(.init(meetingroomID: 42, name: "B"))
                }
                #expect(error.errcode == WeComErrcode.invalidParameter)
                #expect(error.message.contains("meetingroom_id"))
                #expect(error.description == "oa/meetingroom/edit: WeCom error 40058: \(error.message)")
                #expect(await sandbox.store.callCount("edit") == 1)
            }
        }
    }

    @Test func tokenExpiryDuringConcurrentCallsRefreshesExactlyOnce() async throws {
        try await withServedSandbox { sandbox in
            let events = Recorder<WeComClient.Event>()
            try await withWeComClient(sandbox.clientConfiguration(onEvent: events.append)) { client in
                _ = try await client.addMeetingRoom(.init(name: "A", capacity: 1))
                #expect(await sandbox.store.tokensIssued == 1)
                await sandbox.store.expireAllTokens()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            if index.isMultiple(of: 2) {
                                _ = try await client.listMeetingRooms(.init())
                            } else {
                                try await client.editMeetingRoom(.init(meetingroomID: 1, capacity: index))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(await sandbox.store.tokensIssued == 2)
                #expect(events.values.filter { $0 == .tokenRefreshed }.count == 2)
            }
        }
    }

    @Test func aTokenIsRefreshedBeforeItExpires() async throws {
        var options = SandboxServer.Options()
        // Five seconds: a refreshed token must outlive one gettoken and one list even on a loaded machine (with
        // one second, a slow pair of calls saw the fresh token expire too; with three, a run of the suite beside a
        // build did).
        options.tokenTTL = 5
        try await withServedSandbox(options) { sandbox in
            try await withWeComClient(sandbox.clientConfiguration()) { client in
                _ = try await client.listMeetingRooms(.init())
                // Counted from here: on a machine slow enough, even the first token can age out before the first
                // list arrives, which is not what this test is about.
                let tokens = await sandbox.store.tokensIssued, lists = await sandbox.store.callCount("list")
                // Past the token's lifetime at the sandbox, so that the refresh gets a new one.
                try await Task.sleep(for: .milliseconds(5100))
                _ = try await client.listMeetingRooms(.init())
                #expect(await sandbox.store.tokensIssued == tokens + 1)
                // The second list went out with the new token at once: no call was rejected with 42001.
                #expect(await sandbox.store.callCount("list") == lists + 1)
            }
        }
    }

    @Test func aTokenRejectedTwiceIsAnErrorNotALoop() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in
                answer(.ok, "application/json", #"{"errcode":42001,"errmsg":"access_token expired"}"#)
            }
        }) { endpoint in
            let events = Recorder<WeComClient.Event>()
            try await withWeComClient(.init(endpoint: endpoint, corpID: "c", corpSecret: "s", onEvent: events.append)) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(error.errcode == WeComErrcode.expiredToken)
                #expect(events.values.filter { $0 == .tokenRefreshed }.count == 2)
            }
        }
    }

    /// A token can expire while a call waits its turn (a loaded runner once took longer than the sandbox's 2 s
    /// tokens): each new token refused is replaced again, up to three, and the call still succeeds.
    @Test func aNewTokenThatExpiredInTurnIsReplacedAgain() async throws {
        let refusals = Recorder<String>()
        try await withFakeWeCom(token: {
            refusals.append("gettoken")
            return "token-\(refusals.values.count)"
        }, { router in
            router.post("/cgi-bin/oa/meetingroom/list") { request, _ in
                // The first two tokens are refused as expired; the third is good.
                let token = request.uri.queryParameters.get("access_token") ?? ""
                if token == "token-1" || token == "token-2" {
                    return answer(.ok, "application/json", #"{"errcode":42001,"errmsg":"access_token expired"}"#)
                }
                return answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_list":[]}"#)
            }
        }) { endpoint in
            try await withWeComClient(.init(endpoint: endpoint, corpID: "c", corpSecret: "s")) { client in
                let listed = try await client.listMeetingRooms(.init())
                #expect(listed.isEmpty)
            }
        }
        #expect(refusals.values.count == 3)
    }

    @Test func aServerRefusingEveryNewTokenStopsAfterThreeRefreshes() async throws {
        let fetched = Recorder<String>()
        try await withFakeWeCom(token: {
            fetched.append("gettoken")
            return "token-\(fetched.values.count)"
        }, { router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in
                answer(.ok, "application/json", #"{"errcode":42001,"errmsg":"access_token expired"}"#)
            }
        }) { endpoint in
            try await withWeComClient(.init(endpoint: endpoint, corpID: "c", corpSecret: "s")) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(error.errcode == WeComErrcode.expiredToken)
            }
        }
        #expect(fetched.values.count == 4)
    }

    @Test func injectedFaultsAreRetriedToSuccess() async throws {
        var options = SandboxServer.Options()
        options.faultRate = 0.5
        options.seed = 7
        try await withServedSandbox(options) { sandbox in
            let events = Recorder<WeComClient.Event>()
            let configuration = sandbox.clientConfiguration(
                retry: .init(maxAttempts: 30, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)),
                onEvent: events.append
            )
            try await withWeComClient(configuration) { client in
                for index in 0..<10 {
                    _ = try await client.addMeetingRoom(.init(name: "Room \(index)", capacity: 1))
                }
                let rooms = try await client.listMeetingRooms(.init())
                #expect(rooms.map(\.name) == (0..<10).map { "Room \($0)" })
                let retries = events.values.filter { if case .retrying = $0 { true } else { false } }
                #expect(!retries.isEmpty)
                #expect(await sandbox.store.callCount("add") == 10 + retries.count { $0.description.contains("add") })
            }
        }
    }

    @Test func aDroppedAddIsOutcomeUnknownAndNeverResent() async throws {
        var options = SandboxServer.Options()
        options.dropRate = 1
        try await withServedSandbox(options) { sandbox in
            try await withWeComClient(sandbox.clientConfiguration()) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.addMeetingRoom(.init(name: "A", capacity: 1))
                }
                #expect(error.isOutcomeUnknown)
                #expect(error.message.contains("list before adding again"))
                #expect(await sandbox.store.callCount("add") == 1)
                #expect(try await sandbox.store.list(.init(), showRange: false).map(\.name) == ["A"])
            }
        }
    }

    @Test func droppedIdempotentCallsAreRetried() async throws {
        var options = SandboxServer.Options()
        options.dropRate = 0.5
        options.seed = 3
        try await withServedSandbox(options) { sandbox in
            let id = try await sandbox.store.add(.init(name: "A", capacity: 1))
            let configuration = sandbox.clientConfiguration(retry: .init(maxAttempts: 30, baseDelay: .milliseconds(1)))
            try await withWeComClient(configuration) { client in
                for capacity in 2...6 {
                    try await client.editMeetingRoom(.init(meetingroomID: id, capacity: capacity))
                    #expect(try await client.listMeetingRooms(.init()).first?.capacity == capacity)
                }
                #expect(await sandbox.store.callCount("edit") + sandbox.store.callCount("list") > 10)
            }
        }
    }

    @Test func rateLimited45009IsWaitedOut() async throws {
        var options = SandboxServer.Options()
        // A window long against a call's duration, so the limit is reached even on a loaded machine.
        options.rateLimit = .init(calls: 2, seconds: 1)
        try await withServedSandbox(options) { sandbox in
            let events = Recorder<WeComClient.Event>()
            let configuration = sandbox.clientConfiguration(
                retry: .init(maxAttempts: 2, baseDelay: .milliseconds(20), maxRateLimitWait: .seconds(10)),
                onEvent: events.append
            )
            try await withWeComClient(configuration) { client in
                // At once, so the window fills however slow a busy machine makes each call.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<5 { group.addTask { _ = try await client.listMeetingRooms(.init()) } }
                    try await group.waitForAll()
                }
                let waits = events.values.filter { if case .waitingForRateLimit = $0 { true } else { false } }
                #expect(!waits.isEmpty)
                // Each call once, once more after each 45009, and again after an attempt a loaded test process left
                // unanswered past its timeout (which may have reached the sandbox too).
                let resent = events.values.filter { if case .retrying(operation: "oa/meetingroom/list", attempt: _, reason: _) = $0 { true } else { false } }.count
                let calls = await sandbox.store.callCount("list")
                #expect((5 + waits.count...5 + waits.count + resent).contains(calls), "\(calls) list calls: \(events.values)")
            }
        }
    }

    @Test func clientSideLimiterKeepsUnderTheLimitWithoutProvoking45009() async throws {
        var options = SandboxServer.Options()
        options.rateLimit = .init(calls: 3, seconds: 1)
        try await withServedSandbox(options) { sandbox in
            let events = Recorder<WeComClient.Event>()
            var configuration = sandbox.clientConfiguration(onEvent: events.append)
            configuration.maxCallsPerMinutePerAPI = 3
            // Three times the server's window, so the client never exceeds it even when a busy machine delays one
            // call's arrival against another's by most of two seconds.
            configuration.rateLimitWindow = .seconds(3)
            try await withWeComClient(configuration) { client in
                // At once, so the client's window fills however slow a busy machine makes each call.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<7 { group.addTask { _ = try await client.listMeetingRooms(.init()) } }
                    try await group.waitForAll()
                }
            }
            // What the limiter is for: WeCom never had to answer 45009.
            #expect(await sandbox.store.rateLimitedAnswers == 0)
            #expect(events.values.contains { if case .waitingForRateLimit = $0 { true } else { false } })
            // One call each, but for an attempt the loaded test process left unanswered past its timeout, which is
            // sent again (and may have reached the sandbox too): seen once as 8 calls in a 61-second run.
            let resent = events.values.filter { if case .retrying(operation: "oa/meetingroom/list", attempt: _, reason: _) = $0 { true } else { false } }.count
            let calls = await sandbox.store.callCount("list")
            #expect((7...7 + resent).contains(calls), "\(calls) list calls, \(resent) sent again: \(events.values)")
        }
    }

    @Test func connectionRefusedIsATransportError() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused before anything is sent.
        let configuration = WeComClient.Configuration(
            endpoint: "http://127.0.0.1:1", corpID: "c", corpSecret: "s", requestTimeout: .milliseconds(500),
            retry: .init(maxAttempts: 2, baseDelay: .milliseconds(1))
        )
        try await withWeComClient(configuration) { client in
            let error = try await #require(throws: MeetingRoomAPIError.self) {
                _ = try await client.addMeetingRoom(.init(name: "A", capacity: 1))
            }
            #expect(error.isTransport)
            #expect(error.operation == "gettoken")
        }
    }
}
