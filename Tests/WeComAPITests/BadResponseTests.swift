import Foundation
import Hummingbird
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Testing
import WeComAPI

/// Answers that are not WeCom JSON: each ends in one clear, one-line error.
@Suite struct BadResponseTests {
    static let html = """
        <!DOCTYPE html>
        <html><head><title>502 Bad Gateway</title></head>
        <body>upstream error</body></html>
        """

    func quickClient(_ endpoint: String) -> WeComClient.Configuration {
        WeComClient.Configuration(
            endpoint: endpoint, corpID: "c", corpSecret: "s",
            retry: .init(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2))
        )
    }

    @Test func anHTMLPageIsABadResponse() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in answer(.ok, "text/html", Self.html) }
        }) { endpoint in
            try await withWeComClient(quickClient(endpoint)) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(error.isBadResponse)
                #expect(error.description == "oa/meetingroom/list: bad response: expected JSON, got an HTML page (Content-Type: text/html); is the endpoint a WeCom API?")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func truncatedJSONIsABadResponse() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in
                answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_list":[{"meetingroom_id":1,"na"#)
            }
        }) { endpoint in
            try await withWeComClient(quickClient(endpoint)) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(error.isBadResponse)
                #expect(error.message.contains("not valid JSON (truncated or malformed)"))
            }
        }
    }

    /// `list`'s envelope is read only up to its rooms, which the client reads itself: an errcode after the rooms is
    /// still seen, and an answer broken after them is still a bad response.
    @Test func aListAnswerIsCheckedWholeThoughItsEnvelopeIsReadUpToTheRooms() async throws {
        let answers = [
            #"{"meetingroom_list":[],"errcode":60011,"errmsg":"no privilege"}"#,
            #"{"errcode":0,"errmsg":"ok","meetingroom_list":[{"meetingroom_id":1,"name":"A","capacity":2}],"more":nul}"#,
            // A failed call's answer is read past the rooms, for its errmsg.
            #"{"errcode":60011,"meetingroom_list":[],"errmsg":"no privilege"}"#,
        ]
        for (index, body) in answers.enumerated() {
            try await withFakeWeCom({ router in
                router.post("/cgi-bin/oa/meetingroom/list") { _, _ in answer(.ok, "application/json", body) }
            }) { endpoint in
                try await withWeComClient(quickClient(endpoint)) { client in
                    let error = try await #require(throws: MeetingRoomAPIError.self) {
                        try await client.listMeetingRooms(.init())
                    }
                    if index != 1 {
                        #expect(error.description.contains("60011") && error.description.contains("no privilege"), "\(error)")
                    } else {
                        #expect(error.isBadResponse)
                        #expect(error.message.contains("not valid JSON (truncated or malformed)"), "\(error)")
                    }
                }
            }
        }
    }

    /// SPEC 7: an answer that does not say which rooms there are is not "no rooms" (issue 23, item 8).
    @Test(arguments: [#"{"errcode":0,"errmsg":"ok"}"#, #"{"errcode":0,"errmsg":"ok","meetingroom_list":null}"#])
    func aListAnswerWithoutMeetingroomListIsABadResponse(_ body: String) async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in answer(.ok, "application/json", body) }
        }) { endpoint in
            try await withWeComClient(quickClient(endpoint)) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(error.isBadResponse)
                #expect(error.message.contains("meetingroom_list"), "\(error)")
            }
        }
    }

    @Test func anEmptyMeetingroomListIsNoRooms() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in
                answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_list":[]}"#)
            }
        }) { endpoint in
            try await withWeComClient(quickClient(endpoint)) { client in
                let rooms = try await client.listMeetingRooms(.init())
                #expect(rooms.isEmpty)
            }
        }
    }

    @Test func wrongFieldTypesAreABadResponse() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/add") { _, _ in
                answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_id":"one"}"#)
            }
        }) { endpoint in
            try await withWeComClient(quickClient(endpoint)) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    _ = try await client.addMeetingRoom(.init(name: "A", capacity: 1))
                }
                #expect(error.isBadResponse)
            }
        }
    }

    @Test func anUnknownErrcodeIsAWeComErrorAndNotRetried() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/del") { _, _ in
                answer(.ok, "text/plain", #"{"errcode":60011,"errmsg":"no privilege to access/modify contact/party/agent ",}"#)
            }
        }) { endpoint in
            let events = Recorder<WeComClient.Event>()
            var configuration = quickClient(endpoint)
            configuration.onEvent = events.append
            try await withWeComClient(configuration) { client in
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.deleteMeetingRoom(.init(meetingroomID: 1))
                }
                #expect(error.errcode == 60011)
                // A `still waiting` note is what a loaded machine adds (seen in a clean-clone run); a retry is not.
                let events = events.values.filter { if case .stillWaiting = $0 { false } else { true } }
                #expect(events == [.tokenRefreshed])
            }
        }
    }

    @Test func http5xxIsRetriedForIdempotentCallsButNotForAdd() async throws {
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/list") { _, _ in answer(.badGateway, "text/html", Self.html) }
            router.post("/cgi-bin/oa/meetingroom/add") { _, _ in answer(.badGateway, "text/html", Self.html) }
        }) { endpoint in
            let events = Recorder<WeComClient.Event>()
            var configuration = quickClient(endpoint)
            configuration.onEvent = events.append
            try await withWeComClient(configuration) { client in
                let list = try await #require(throws: MeetingRoomAPIError.self) {
                    try await client.listMeetingRooms(.init())
                }
                #expect(list.isTransport)
                #expect(list.message.contains("HTTP 502"))
                #expect(events.values.filter { if case .retrying = $0 { true } else { false } }.count == 2)

                let add = try await #require(throws: MeetingRoomAPIError.self) {
                    _ = try await client.addMeetingRoom(.init(name: "A", capacity: 1))
                }
                #expect(add.isOutcomeUnknown)
                #expect(events.values.filter { $0.description.contains("add") }.isEmpty)
            }
        }
    }

    @Test func anAddThatTimesOutIsOutcomeUnknownAndNotResent() async throws {
        let received = Recorder<String>()
        try await withFakeWeCom({ router in
            router.post("/cgi-bin/oa/meetingroom/add") { _, _ in
                received.append("add")
                try await Task.sleep(for: .seconds(30))
                return answer(.ok, "application/json", #"{"errcode":0,"errmsg":"ok","meetingroom_id":1}"#)
            }
        }) { endpoint in
            var configuration = quickClient(endpoint)
            // The add is never answered within it.
            configuration.requestTimeout = .seconds(2)
            try await withWeComClient(configuration) { client in
                // The token first, asked again until it comes: on a loaded machine the first gettoken (a new
                // connection to a server just started) once took longer than the timeout meant for the add.
                // What is tested is the add's timeout, not how fast this machine answers gettoken.
                try await waitForCondition("a token") { (try? await client.checkCredentials()) != nil }
                let error = try await #require(throws: MeetingRoomAPIError.self) {
                    _ = try await client.addMeetingRoom(.init(name: "A", capacity: 1))
                }
                #expect(error.isOutcomeUnknown)
                #expect(received.values == ["add"])
            }
        }
    }
}
