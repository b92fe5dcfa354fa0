import Foundation
import Hummingbird
import RoomSyncCore
import Synchronization

extension SandboxServer {
    func getToken(_ request: Request, _ context: SandboxRequestContext) async throws -> Response {
        await store.recordCall("gettoken")
        let caller = Self.callerAddress(context)
        if options.latencyMs > 0 { try await Task.sleep(for: .milliseconds(options.latencyMs)) }
        if let limited = await faults.rateLimited("gettoken") {
            await store.recordRateLimited()
            return Self.answer(limited, from: caller)
        }
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
        // SDKs sometimes POST the credentials as a form or JSON body instead of the query.
        if request.method == .post {
            var request = request
            let body = Data(try await Self.bytes(of: &request))
            if let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
                for (key, value) in json { if let value = value as? String { parameters[key] = value } }
            } else if let form = String(data: body, encoding: .utf8) {
                for pair in form.split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    let value = String(parts[1]).replacingOccurrences(of: "+", with: " ")
                    parameters[String(parts[0])] = value.removingPercentEncoding ?? value
                }
            }
        }
        guard parameters["corpid"] == options.corpID else {
            return Self.answer(.init(errcode: WeComErrcode.badCorpID, errmsg: "invalid corpid"), from: caller)
        }
        guard parameters["corpsecret"] == options.corpSecret else {
            return Self.answer(
                .init(errcode: WeComErrcode.badSecret, errmsg: "invalid credential: corpsecret"), from: caller)
        }
        // As WeCom: the same token for its whole validity, with the seconds it has left.
        let (token, expiresIn) = await store.token(ttl: options.tokenTTL)
        return Self.json([
            "errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": expiresIn,
        ])
    }

    func meetingRoom(_ api: String, _ request: Request, _ context: SandboxRequestContext) async throws -> Response {
        await store.recordCall(api)
        let caller = Self.callerAddress(context)
        guard await faults.enter() else {
            await store.recordTooManyInFlight()
            return Self.answer(
                .init(errcode: WeComErrcode.tooManyInFlight, errmsg: "api concurrent out of limit"), from: caller)
        }
        do {
            let response = try await meetingRoomInFlight(api, request, context, caller: caller)
            await faults.leave()
            return response
        } catch {
            await faults.leave()
            throw error
        }
    }

    private func meetingRoomInFlight(
        _ api: String, _ request: Request, _ context: SandboxRequestContext, caller: String
    ) async throws -> Response {
        if options.latencyMs > 0 { try await Task.sleep(for: .milliseconds(options.latencyMs)) }
        if let limited = await faults.rateLimited(api) {
            await store.recordRateLimited()
            return Self.answer(limited, from: caller)
        }
        guard let token = request.uri.queryParameters["access_token"].map(String.init), !token.isEmpty else {
            return Self.answer(.init(errcode: WeComErrcode.missingToken, errmsg: "access_token missing"), from: caller)
        }
        switch await store.tokenStatus(token) {
        case .valid: break
        case .invalid:
            return Self.answer(.init(errcode: WeComErrcode.invalidToken, errmsg: "invalid access_token"), from: caller)
        case .expired:
            return Self.answer(.init(errcode: WeComErrcode.expiredToken, errmsg: "access_token expired"), from: caller)
        }
        if !options.trustedIPs.isEmpty, !options.trustedIPs.contains(where: { $0.contains(caller) }) {
            return Self.answer(
                .init(errcode: WeComErrcode.untrustedIP, errmsg: "not allow to access from your ip"), from: caller)
        }
        if options.forbiddenAPIs.contains(api) {
            return Self.answer(.init(errcode: WeComErrcode.apiForbidden, errmsg: "api forbidden"), from: caller)
        }
        let draw = await faults.draw()
        if let errcode = draw.fault {
            return Self.answer(
                .init(errcode: errcode, errmsg: errcode == -1 ? "system busy" : "injected fault"), from: caller)
        }
        var request = request
        let body = Data(try await Self.bytes(of: &request))
        let answer: Response
        do {
            answer = try await apply(api, body: body)
        } catch let error as SandboxStore.SandboxError {
            answer = Self.answer(error, from: caller)
        }
        if draw.drop {
            // The call is applied; now the answer is lost. Closing the channel before anything is written leaves
            // the client with a closed connection and an empty reply, like a network failure after the request.
            logger.debug("dropping the response to \(api)")
            try? await context.channel.close()
            throw DroppedResponse()
        }
        return answer
    }

    /// The caller's address as WeCom would see it (the peer of the connection).
    static func callerAddress(_ context: SandboxRequestContext) -> String {
        context.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Numbers the answers' hints, as WeCom's request ids do.
    private static let hints = HintCounter()

    private func apply(_ api: String, body: Data) async throws -> Response {
        switch api {
        case "add":
            let id = try await store.add(try Self.decode(AddMeetingRoomRequest.self, body))
            return Self.json(["errcode": 0, "errmsg": "ok", "meetingroom_id": id])
        case "list":
            let rooms = try await store.list(
                try Self.decode(ListMeetingRoomsRequest.self, body, emptyIsObject: true), showRange: options.showRange
            )
            return Self.respond(ListAnswerWriter.write(rooms))
        case "edit":
            try await store.edit(try Self.decode(EditMeetingRoomRequest.self, body))
            return Self.json(["errcode": 0, "errmsg": "ok"])
        case "get_booking_info":
            let rooms = try await store.bookingInfo(try Self.decode(BookingInfoRequest.self, body, emptyIsObject: true))
            let list: [[String: any Sendable]] = rooms.map { room in
                ["meetingroom_id": room.meetingroomID, "schedule": room.schedule.map(Self.bookingObject)]
            }
            return Self.json(["errcode": 0, "errmsg": "ok", "booking_list": list])
        case "book":
            let booked = try await store.book(try Self.decode(BookMeetingRoomRequest.self, body))
            // Both names of the id: `meeting_id` is what WeCom's first documents (and older SDKs) read.
            return Self.json([
                "errcode": 0, "errmsg": "ok", "booking_id": booked.bookingID, "meeting_id": booked.bookingID,
                "schedule_id": booked.scheduleID ?? "",
            ])
        case "cancel_book":
            try await store.cancelBooking(try Self.decode(CancelBookingRequest.self, body))
            return Self.json(["errcode": 0, "errmsg": "ok"])
        case "bookinfo/get":
            let request = try Self.decode(BookingByIDRequest.self, body)
            let booking = try await store.booking(request)
            return Self.json([
                "errcode": 0, "errmsg": "ok", "meetingroom_id": request.meetingroomID,
                "schedule": Self.bookingObject(booking),
            ])
        default:
            try await store.delete(try Self.decode(DeleteMeetingRoomRequest.self, body))
            return Self.json(["errcode": 0, "errmsg": "ok"])
        }
    }

    /// A booking as WeCom lists it, its id under both names it has had.
    static func bookingObject(_ booking: Booking) -> [String: any Sendable] {
        [
            "booking_id": booking.bookingID, "meeting_id": booking.bookingID, "schedule_id": booking.scheduleID ?? "",
            "start_time": booking.startTime, "end_time": booking.endTime, "booker": booking.booker,
            "status": booking.status,
        ]
    }

    struct DroppedResponse: Error {}

    static func bytes(of request: inout Request) async throws -> [UInt8] {
        let buffer = try await request.collectBody(upTo: 4 * 1024 * 1024)
        return buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
    }

    /// Decodes a request body, mapping parse failures to WeCom's errcodes: 47001 when it is not JSON, 40058
    /// naming the field when a field is missing or has the wrong type.
    static func decode<T: Decodable>(_ type: T.Type, _ body: Data, emptyIsObject: Bool = false) throws -> T {
        var body = LenientJSON.removingTrailingCommas(body)
        if emptyIsObject, body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { body = Data("{}".utf8) }
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch DecodingError.keyNotFound(let key, let context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw SandboxStore.SandboxError.invalidParameter(path, "missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map(\.stringValue).filter { Int($0) == nil }.joined(separator: ".")
            throw SandboxStore.SandboxError.invalidParameter(path, "wrong type")
        } catch {
            throw SandboxStore.SandboxError(errcode: WeComErrcode.badJSON, errmsg: "data format error: body is not JSON")
        }
    }

    /// An error answer, its errmsg worded as WeCom words every one: `TEXT, hint: [HINT], from ip: ADDR, more info
    /// at https://open.work.weixin.qq.com/devtool/query?e=ERRCODE`.
    static func answer(_ error: SandboxStore.SandboxError, from caller: String) -> Response {
        json(["errcode": error.errcode, "errmsg": wecomErrmsg(error, from: caller, hint: hints.next())])
    }

    public static func wecomErrmsg(_ error: SandboxStore.SandboxError, from caller: String, hint: String) -> String {
        "\(error.errmsg), hint: [\(hint)], from ip: \(caller), more info at "
            + "https://open.work.weixin.qq.com/devtool/query?e=\(error.errcode)"
    }

    static func json(_ object: [String: any Sendable]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return respond(data)
    }

    static func encoded(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return respond((try? encoder.encode(value)) ?? Data())
    }

    private static func respond(_ bytes: some Collection<UInt8>) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}

extension SandboxStore.SandboxError {
    static func invalidParameter(_ parameter: String, _ why: String) -> Self {
        Self(errcode: WeComErrcode.invalidParameter, errmsg: "invalid parameter \(parameter): \(why)")
    }
}

/// WeCom-like hints: the time, a sequence number and a random tail, unique per answer.
final class HintCounter: Sendable {
    private let counter = Mutex(0)

    func next() -> String {
        let sequence = counter.withLock {
            $0 += 1
            return $0
        }
        let tail = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(Int(Date().timeIntervalSince1970))\(String(format: "%04d", sequence % 10000))\(tail)"
    }
}
