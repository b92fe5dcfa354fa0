#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RoomSyncCore
import RoomSyncSandbox
import RoomSyncTestSupport
import Synchronization
import Testing
import WeComAPI

/// The served sandbox on the wire: the seed document's own requests, and every errcode of SPEC section 6.
@Suite struct ServedSandboxTests {
    // The seed document's request examples, byte for byte (trailing commas included).
    static let seedAdd = """
        {
         "name":"18F-会议室",
         "capacity":10,
         "city":"深圳",
         "building":"腾讯大厦",
         "floor":"18F",
         "equipment":[1,2,3],
         "coordinate":
         {
         "latitude":"22.540503",
         "longitude":"113.934528"
         },
         "range":
         {
               "user_list":["zhangsan","lisi"],
              "department_list":[1]
         }
        }
        """
    static let seedList = """
        {
         "city":"深圳",
         "building":"腾讯大厦",
         "floor":"18F",
         "equipment":[1,2,3]
        }
        """
    static let seedEdit = """
        {
         "meetingroom_id":2,
         "name":"18F-会议室",
         "capacity":10,
         "city":"深圳",
         "building":"腾讯大厦",
         "floor":"18F",
         "equipment":[1,2,3],
         "coordinate":
         {
               "latitude":"22.540503",
              "longitude":"113.934528"
         },
         "range":
         {
               "user_list":["zhangsan","lisi"],
              "department_list":[1]
         }
        }
        """
    static let seedDel = """
        {
         "meetingroom_id":1,
        }
        """

    func token(_ sandbox: ServedSandbox) async throws -> String {
        let answer = try await RawHTTP.get(
            "\(sandbox.endpoint)/cgi-bin/gettoken?corpid=ww-sandbox&corpsecret=sandbox-secret"
        )
        #expect(answer["errcode"] as? Int == 0)
        #expect(answer["errmsg"] as? String == "ok")
        #expect(answer["expires_in"] as? Int == 7200)
        return try #require(answer["access_token"] as? String)
    }

    @Test func seedDocumentExamplesAreAnsweredAsWeComWould() async throws {
        try await withServedSandbox { sandbox in
            let token = try await token(sandbox)
            let api = "\(sandbox.endpoint)/cgi-bin/oa/meetingroom"
            let added = try await RawHTTP.post("\(api)/add?access_token=\(token)", Self.seedAdd)
            #expect(added["errcode"] as? Int == 0)
            #expect(added["meetingroom_id"] as? Int == 1)
            let second = try await RawHTTP.post(
                "\(api)/add?access_token=\(token)", #"{"name":"19F-会议室","capacity":20}"#
            )
            #expect(second["meetingroom_id"] as? Int == 2)

            let listed = try await RawHTTP.post("\(api)/list?access_token=\(token)", Self.seedList)
            #expect(listed["errcode"] as? Int == 0)
            let rooms = try #require(listed["meetingroom_list"] as? [[String: Any]])
            #expect(rooms.count == 1)
            #expect(rooms.first?["name"] as? String == "18F-会议室")
            #expect(rooms.first?["need_approval"] as? Int == 0)
            #expect(rooms.first?["range"] == nil)
            #expect((rooms.first?["coordinate"] as? [String: String])?["latitude"] == "22.540503")

            let edited = try await RawHTTP.post("\(api)/edit?access_token=\(token)", Self.seedEdit)
            #expect(edited["errcode"] as? Int == 0)
            #expect(edited["errmsg"] as? String == "ok")
            let deleted = try await RawHTTP.post("\(api)/del?access_token=\(token)", Self.seedDel)
            #expect(deleted["errcode"] as? Int == 0)

            let left = try await sandbox.store.list(.init(), showRange: true)
            #expect(left.map(\.meetingroomID) == [2])
            #expect(left.first?.range == RoomRange(userList: ["zhangsan", "lisi"], departmentList: [1]))
        }
    }

    @Test func gettokenAcceptsPostedFormAndJSON() async throws {
        try await withServedSandbox { sandbox in
            let url = "\(sandbox.endpoint)/cgi-bin/gettoken"
            let form = try await RawHTTP.post(url, "corpid=ww-sandbox&corpsecret=sandbox-secret")
            #expect(form["errcode"] as? Int == 0)
            let json = try await RawHTTP.post(url, #"{"corpid":"ww-sandbox","corpsecret":"sandbox-secret"}"#)
            #expect(json["errcode"] as? Int == 0)
            // One token while it is valid, as WeCom does.
            #expect(json["access_token"] as? String == form["access_token"] as? String)
            #expect(await sandbox.store.tokensIssued == 1)
        }
    }

    @Test(arguments: [
        ("corpid=nope&corpsecret=sandbox-secret", WeComErrcode.badCorpID),
        ("corpid=ww-sandbox&corpsecret=nope", WeComErrcode.badSecret),
        ("corpsecret=sandbox-secret", WeComErrcode.badCorpID),
    ])
    func gettokenRefusesBadCredentials(_ query: String, _ errcode: Int) async throws {
        try await withServedSandbox { sandbox in
            let answer = try await RawHTTP.get("\(sandbox.endpoint)/cgi-bin/gettoken?\(query)")
            #expect(answer["errcode"] as? Int == errcode)
            #expect(answer["access_token"] == nil)
            #expect(await sandbox.store.tokensIssued == 0)
        }
    }

    enum TokenCase: String, CaseIterable { case missing, invalid, expired }

    @Test(arguments: TokenCase.allCases)
    func meetingRoomCallsCheckTheToken(_ tokenCase: TokenCase) async throws {
        try await withServedSandbox { sandbox in
            var query = ""
            switch tokenCase {
            case .missing: query = ""
            case .invalid: query = "?access_token=forged"
            case .expired:
                query = "?access_token=\(try await token(sandbox))"
                await sandbox.store.expireAllTokens()
            }
            let answer = try await RawHTTP.post(
                "\(sandbox.endpoint)/cgi-bin/oa/meetingroom/add\(query)", #"{"name":"A","capacity":1}"#
            )
            let expected = [
                TokenCase.missing: WeComErrcode.missingToken, .invalid: WeComErrcode.invalidToken,
                .expired: WeComErrcode.expiredToken,
            ][tokenCase]
            #expect(answer["errcode"] as? Int == expected)
            #expect(try await sandbox.store.list(.init(), showRange: false).isEmpty)
        }
    }

    @Test(arguments: [
        (#"{"name":"A"}"#, WeComErrcode.invalidParameter, "capacity"),
        (#"{"name":"A","capacity":"ten"}"#, WeComErrcode.invalidParameter, "capacity"),
        (#"{"name":"A","capacity":1,"floor":"1F"}"#, WeComErrcode.invalidParameter, "city/building/floor"),
        (#"{"name":"A","capacity":1,"unknown_field":true}"#, 0, ""),
        (#"<html>"#, WeComErrcode.badJSON, ""),
        (#"{"name":"A","capacity":1"#, WeComErrcode.badJSON, ""),
    ])
    func addBodiesAreCheckedAsWeComWould(_ body: String, _ errcode: Int, _ parameter: String) async throws {
        try await withServedSandbox { sandbox in
            let token = try await token(sandbox)
            let answer = try await RawHTTP.post(
                "\(sandbox.endpoint)/cgi-bin/oa/meetingroom/add?access_token=\(token)", body
            )
            #expect(answer["errcode"] as? Int == errcode)
            if !parameter.isEmpty {
                #expect((answer["errmsg"] as? String)?.contains(parameter) == true)
            }
        }
    }

    @Test func rateLimitAnswers45009UntilTheWindowEnds() async throws {
        var options = SandboxServer.Options()
        options.rateLimit = SandboxServer.RateLimit(parsing: "2/60s")
        try await withServedSandbox(options) { sandbox in
            let token = try await token(sandbox)
            let url = "\(sandbox.endpoint)/cgi-bin/oa/meetingroom/list?access_token=\(token)"
            var errcodes: [Int?] = []
            for _ in 0..<3 { errcodes.append(try await RawHTTP.post(url, "{}")["errcode"] as? Int) }
            #expect(errcodes == [0, 0, WeComErrcode.rateLimited])
            // The limit is per API: add has its own window.
            let add = try await RawHTTP.post(
                "\(sandbox.endpoint)/cgi-bin/oa/meetingroom/add?access_token=\(token)", #"{"name":"A","capacity":1}"#
            )
            #expect(add["errcode"] as? Int == 0)
        }
    }

    @Test func faultsAnswerAnErrcodeAndApplyNothing() async throws {
        var options = SandboxServer.Options()
        options.faultRate = 1
        options.faultErrcodes = [WeComErrcode.busy]
        try await withServedSandbox(options) { sandbox in
            let token = try await token(sandbox)
            let answer = try await RawHTTP.post(
                "\(sandbox.endpoint)/cgi-bin/oa/meetingroom/add?access_token=\(token)", #"{"name":"A","capacity":1}"#
            )
            #expect(answer["errcode"] as? Int == WeComErrcode.busy)
            #expect(try await sandbox.store.list(.init(), showRange: false).isEmpty)
        }
    }

    @Test(arguments: ["100/1s", "5/0.5s", "3/2"])
    func rateLimitsParse(_ text: String) throws {
        let limit = try #require(SandboxServer.RateLimit(parsing: text))
        #expect(limit.calls > 0 && limit.seconds > 0)
    }

    @Test(arguments: ["", "100", "0/1s", "1/0s", "x/1s", "1/s"])
    func badRateLimitsDoNotParse(_ text: String) {
        #expect(SandboxServer.RateLimit(parsing: text) == nil)
    }
}

/// A served sandbox shares its test process with hundreds of tests, and Swift's shared threads (one per core) are
/// theirs as much as its own: a test that computes for seconds without a suspension point holds one. Three full
/// suite runs saw served sandboxes leave calls unanswered for 10 to 30 s (a limiter test's list, an apply's adds), so
/// `withServedSandbox` serves on a thread of its own.
@Suite struct ServedSandboxThreadTests {
    @Test func aServedSandboxAnswersWhileEverySharedThreadIsBusy() async throws {
        try await withServedSandbox { sandbox in
            let answered = Flag()
            // Work that never suspends on every shared thread, until the sandbox has answered (or 30 s pass).
            let spinners = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in
                Task.detached {
                    let clock = ContinuousClock()
                    let end = clock.now + .seconds(30)
                    while !answered.isSet { if clock.now > end { return false } }
                    return true
                }
            }
            // The request on a thread of its own, as another process's would be: it needs no shared thread, and it
            // frees the spinners itself (this test's own task resumes only on a shared thread).
            let reply = try await offThePool {
                defer { answered.set() }
                return try Self.blockingGet(port: sandbox.port, path: "/cgi-bin/gettoken?corpid=x&corpsecret=y")
            }
            var spunUntilAnswered = true
            for spinner in spinners where !(await spinner.value) { spunUntilAnswered = false }
            #expect(reply.hasPrefix("HTTP/1.1 200"), "\(reply)")
            #expect(spunUntilAnswered, "the sandbox answered only once the shared threads were free again")
        }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    /// One HTTP GET over a blocking socket, the whole reply as text.
    static func blockingGet(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { throw POSIXError(.EIO) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
