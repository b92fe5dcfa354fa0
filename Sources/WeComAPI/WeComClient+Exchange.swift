import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RoomSyncCore

/// One HTTP exchange and what its answer says: success, worth another attempt, a rate limit, or final.
extension WeComClient {
    /// The largest answer read. `list` returns every room in one answer, about 210 bytes a room (more with
    /// ranges): 100,000 rooms are over 20 MB. The bound only keeps a misbehaving server from exhausting memory.
    static let maxResponseBytes = 256 * 1024 * 1024

    func exchange(
        _ operation: String, method: HTTPMethod, url: String, body: Data?, resendable: Bool, timeout: Duration
    ) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        configuration.logger.debug("\(method.rawValue) \(redact(url))")
        let status: HTTPResponseStatus
        let contentType: String
        let data: Data
        do {
            let response = try await http.execute(request, timeout: timeout.timeAmount)
            status = response.status
            contentType = response.headers.first(name: "Content-Type") ?? "none"
            // Past 256 KB the Data shares the buffer's storage instead of copying it (NIOFoundationCompat).
            data = Data(buffer: try await response.body.collect(upTo: Self.maxResponseBytes))
        } catch {
            return classify(error, operation: operation, resendable: resendable)
        }
        configuration.logger.debug("\(operation): HTTP \(status.code), \(data.count) bytes")
        if (500...599).contains(status.code) {
            let error = MeetingRoomAPIError.transport(
                operation: operation, detail: LocalizedText(.wecomHTTPStatus, ["endpoint": redact(base), "status": String(status.code)])
            )
            guard resendable else {
                return .final(.outcomeUnknown(
                    operation: operation,
                    detail: LocalizedText(.wecomHTTPStatusAfterSending, ["status": String(status.code)])
                ))
            }
            return .retryable(error, reason: "HTTP \(status.code)")
        }
        guard status == .ok else {
            return .final(.badResponse(
                operation: operation,
                message: "expected HTTP 200 with a JSON body, got HTTP \(status.code) (Content-Type: \(contentType))"
            ))
        }
        let errcode: Int?, rawErrmsg: String?
        if let envelope = try? Self.readEnvelope(data, upTo: Self.bulkField[operation]) {
            (errcode, rawErrmsg) = envelope
        } else {
            let lenient = LenientJSON.removingTrailingCommas(data)
            guard let object = try? JSONSerialization.jsonObject(with: lenient), let fields = object as? [String: Any] else {
                return .final(.badResponse(operation: operation, detail: Self.describeBadBody(data, contentType)))
            }
            (errcode, rawErrmsg) = (fields["errcode"] as? Int, fields["errmsg"] as? String)
        }
        guard let errcode else {
            return .final(.badResponse(operation: operation, detail: LocalizedText(.wecomNoErrcode)))
        }
        let errmsg = redact(rawErrmsg ?? "")
        let error =
            advice(errcode: errcode, errmsg: errmsg).map { .wecom(errcode: errcode, advice: $0, operation: operation) }
            ?? MeetingRoomAPIError.wecom(errcode: errcode, errmsg: errmsg, operation: operation)
        switch errcode {
        case 0:
            return .success(data)
        case WeComErrcode.busy, WeComErrcode.tooManyInFlight:
            return .retryable(error, reason: "errcode \(errcode) (\(errmsg))")
        case WeComErrcode.rateLimited:
            return .rateLimited(error)
        default:
            return .final(error)
        }
    }

    /// `errcode` and `errmsg` of a JSON object, read in one pass that checks the body's syntax without building
    /// it. Throws on anything unusual (an errcode written as 0.0, say), and the caller then asks
    /// JSONSerialization, as it always did. With `bulk`, the field of an answer that its caller reads whole (the
    /// rooms of `list`, megabytes), reading stops there once an errcode of 0 has been read: the caller's own
    /// reading checks the rest, and skipping it here too took as long as reading the rooms. A failed call's
    /// answer is read to its end, for an `errmsg` after the rooms and for its syntax.
    static func readEnvelope(_ data: Data, upTo bulk: String? = nil) throws -> (errcode: Int?, errmsg: String?) {
        struct ReachedBulk: Error {}
        var errcode: Int?, errmsg: String?
        do {
            try JSONReader.read(data, allowingTrailingCommas: true) { reader in
                try reader.readObject { key, reader in
                    switch key {
                    case "errcode": errcode = try reader.readInt()
                    case "errmsg": errmsg = try reader.readString()
                    case bulk where errcode == 0: throw ReachedBulk()
                    default: try reader.skipValue()
                    }
                }
            }
        } catch is ReachedBulk {}
        return (errcode, errmsg)
    }

    /// The field `readEnvelope` stops at, for answers read whole by their caller.
    static let bulkField = ["oa/meetingroom/list": "meetingroom_list"]


    static func describeBadBody(_ data: Data, _ contentType: String) -> LocalizedText {
        let text = String(decoding: data.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return LocalizedText(.wecomEmptyBody, ["type": contentType]) }
        if text.hasPrefix("<") { return LocalizedText(.wecomHTMLBody, ["type": contentType]) }
        return LocalizedText(.wecomNotJSON, ["count": String(data.count)])
    }
}
