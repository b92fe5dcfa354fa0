import Foundation
import Hummingbird
import RoomSyncCore
import Synchronization

/// WeCom's group-robot webhook, `POST /cgi-bin/webhook/send?key=KEY` (SPEC sections 6 and 9): `text` and
/// `markdown` messages whose content is at most 4096 bytes of UTF-8 (40058 beyond), each message received
/// appended as one JSON line to `--webhook-log`, so tests and people can see what a chat would have shown.
extension SandboxServer {
    /// WeCom's limit on a text or markdown message's content, in bytes of UTF-8.
    public static let webhookMaxContentBytes = 4096

    /// What one received message is logged as.
    public struct WebhookMessage: Sendable, Hashable, Codable {
        public var msgtype: String
        public var content: String
        /// The content's size in bytes of UTF-8, as WeCom counts it.
        public var bytes: Int

        public init(msgtype: String, content: String) {
            self.msgtype = msgtype
            self.content = content
            self.bytes = content.utf8.count
        }
    }

    func webhookSend(_ request: Request, _ context: SandboxRequestContext) async throws -> Response {
        await store.recordCall("webhook/send")
        let caller = Self.callerAddress(context)
        guard let key = request.uri.queryParameters["key"], !key.isEmpty else {
            return Self.answer(.init(errcode: 93000, errmsg: "invalid webhook url"), from: caller)
        }
        var request = request
        let body = Data(try await Self.bytes(of: &request))
        guard let object = try? JSONSerialization.jsonObject(with: LenientJSON.removingTrailingCommas(body)) as? [String: Any] else {
            return Self.answer(.init(errcode: WeComErrcode.badJSON, errmsg: "data format error: body is not JSON"), from: caller)
        }
        guard let msgtype = object["msgtype"] as? String, msgtype == "text" || msgtype == "markdown" else {
            return Self.answer(.init(errcode: 40008, errmsg: "invalid message type"), from: caller)
        }
        guard let content = (object[msgtype] as? [String: Any])?["content"] as? String else {
            return Self.answer(.invalidParameter("\(msgtype).content", "missing"), from: caller)
        }
        let size = content.utf8.count
        guard size <= Self.webhookMaxContentBytes else {
            return Self.answer(.invalidParameter(
                "\(msgtype).content", "content exceed max length \(Self.webhookMaxContentBytes) bytes, found \(size)"), from: caller)
        }
        if let log = webhookLog {
            do {
                try log.append(WebhookMessage(msgtype: msgtype, content: content))
            } catch {
                return Self.answer(.init(errcode: -1, errmsg: "system busy: cannot write the webhook log: \(error)"), from: caller)
            }
        }
        return Self.answer(.init(errcode: 0, errmsg: "ok"), from: caller)
    }
}

/// Appends one JSON line per message to a file, one whole line per write, so concurrent posts never interleave.
final class WebhookLog: Sendable {
    let path: String
    private let lock = Mutex(())

    init(path: String) {
        self.path = path
    }

    func append(_ message: SandboxServer.WebhookMessage) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(message)
        line.append(UInt8(ascii: "\n"))
        try lock.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else {
                    throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
                }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        }
    }
}
