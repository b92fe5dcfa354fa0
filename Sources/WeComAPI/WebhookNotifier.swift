import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RoomSyncCore

/// Posts messages to a WeCom group robot (`群机器人`): `POST …/cgi-bin/webhook/send?key=KEY` with
/// `{"msgtype":"markdown","markdown":{"content":…}}`. The URL carries the robot's key, which lets anyone post to
/// the chat: it is a secret, so no error of this type shows the URL or the key.
public struct WebhookNotifier: Sendable {
    /// WeCom refuses markdown content over 4096 bytes of UTF-8 (errcode 40058).
    public static let maxContentBytes = 4096

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let url: String
    let host: String
    /// `HOST:PORT`, the port the URL names or its scheme's, for a robot that cannot be reached.
    let address: String
    let timeout: Duration

    /// `url` is the full webhook URL as WeCom shows it when the robot is added to a chat.
    public init(url: String, timeout: Duration = .seconds(15)) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty
        else {
            // Not even the part before the key is shown: a mangled URL may have the key anywhere.
            throw Failure(description: "ROOMSYNC_WEBHOOK_URL is not an http(s) URL (its value is not shown: it holds the robot's key)")
        }
        self.url = url
        self.host = host
        self.address = "\(host):\(parsed.port ?? (scheme == "https" ? 443 : 80))"
        self.timeout = timeout
    }

    /// The request body for a markdown message.
    public static func markdownBody(_ content: String) -> Data {
        // JSONSerialization keeps the content's characters; WeCom takes UTF-8 JSON.
        let object: [String: Any] = ["msgtype": "markdown", "markdown": ["content": content]]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Posts `content` as a markdown message; throws a `Failure` that names the host, never the key.
    public func post(markdown content: String) async throws {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // AsyncHTTPClient retries a refused connection until the connect timeout: a robot that cannot be reached
        // should cost the command a few seconds, not the whole timeout.
        configuration.timeout = .init(connect: .seconds(3), read: timeout.timeAmount)
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            try await send(content, with: http)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func send(_ content: String, with http: HTTPClient) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(bytes: Self.markdownBody(content)))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout.timeAmount)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            let reason = ConnectionFailure.reason(error) ?? redact(String(describing: error))
            throw Failure(description: Catalogue.text(.robotUnreachable, ["host": address, "reason": reason]))
        }
        guard response.status == .ok else {
            throw Failure(description: "the group robot at \(host) answered HTTP \(response.status.code)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let errcode = object["errcode"] as? Int
        else {
            throw Failure(description: "the group robot at \(host) gave an answer that is not WeCom's JSON")
        }
        guard errcode == 0 else {
            let message = (object["errmsg"] as? String).map { ": " + redact($0) } ?? ""
            throw Failure(description: "the group robot at \(host) refused the message (errcode \(errcode)\(message))")
        }
    }

    /// Removes the key (and anything that looks like one in a query) from text that may quote the request.
    func redact(_ text: String) -> String {
        var text = text.replacing(/key=[^&\s"']*/, with: "key=REDACTED")
        if let key = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "key" })?.value, !key.isEmpty {
            text = text.replacingOccurrences(of: key, with: "REDACTED")
        }
        return text
    }
}
