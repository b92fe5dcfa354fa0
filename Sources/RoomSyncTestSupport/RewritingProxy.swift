import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// A reverse proxy in front of a served sandbox, for answers WeCom's gateways give and the sandbox never does: an
// add applied and answered 504, an answer lost when the connection closes, a list answer rewritten. Unlike a fake
// WeCom, the rooms are the sandbox's, so what reached WeCom is what a later list shows.

/// One request the proxy received.
public struct ProxiedRequest: Sendable {
    public let method: String
    /// Path and query, as sent (`/cgi-bin/oa/meetingroom/add?access_token=…`).
    public let uri: String
    public let contentType: String?
    public let body: Data

    /// The API path without `/cgi-bin/` and the query: `oa/meetingroom/add`, `gettoken`.
    public var operation: String {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        return path.hasPrefix("/cgi-bin/") ? String(path.dropFirst("/cgi-bin/".count)) : path
    }
}

/// An answer, forwarded from the target or made up by the test.
public struct ProxiedAnswer: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data

    public init(status: Int, contentType: String = "application/json", body: Data) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// The body as a JSON object, changed by `edit` (a WeCom answer is always one).
    public func editingJSON(_ edit: (inout [String: Any]) -> Void) throws -> ProxiedAnswer {
        guard var object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        edit(&object)
        var changed = self
        changed.body = try JSONSerialization.data(withJSONObject: object)
        return changed
    }
}

/// What the proxy does with a request.
public enum ProxyReply: Sendable {
    case answer(ProxiedAnswer)
    /// Closes the connection without answering: the request may have been applied, its answer is lost.
    case close
}

/// Sends a request on to the target and returns its answer. May be called later than the route returns (an add
/// that lands after its 504), or not at all.
public typealias ProxyForward = @Sendable () async throws -> ProxiedAnswer

/// A proxy on 127.0.0.1 that hands every request to its route.
public final class RewritingProxy: Sendable {
    public let port: Int
    /// `http://127.0.0.1:PORT`, for `WECOM_ENDPOINT`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    let channel: any Channel
    let children: ChannelSet

    init(port: Int, channel: any Channel, children: ChannelSet) {
        self.port = port
        self.channel = channel
        self.children = children
    }
}

/// Runs `body` with a proxy to `target` (`http://127.0.0.1:PORT`): each request goes to `route` with a way to
/// forward it, and the proxy sends back what `route` returns. `route(request, forward)` returning
/// `.answer(try await forward())` is a plain proxy.
public func withRewritingProxy<T>(
    to target: String, route: @escaping @Sendable (ProxiedRequest, @escaping ProxyForward) async throws -> ProxyReply,
    _ body: (RewritingProxy) async throws -> T
) async throws -> T {
    let children = ChannelSet()
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            children.add(channel)
            return channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                try channel.pipeline.syncOperations.addHandler(RewritingHandler(target: target, route: route))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let proxy = RewritingProxy(port: server.localAddress?.port ?? 0, channel: server, children: children)
    return try await closingOnEveryPath(server, children) { try await body(proxy) }
}

/// Collects a request, asks the route, and writes its reply. AsyncHTTPClient sends one request at a time on a
/// connection, so one request is handled at a time.
private final class RewritingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let target: String
    let route: @Sendable (ProxiedRequest, @escaping ProxyForward) async throws -> ProxyReply
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(target: String, route: @escaping @Sendable (ProxiedRequest, @escaping ProxyForward) async throws -> ProxyReply) {
        self.target = target
        self.route = route
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            let request = ProxiedRequest(
                method: head.method.rawValue, uri: head.uri, contentType: head.headers.first(name: "Content-Type"),
                body: Data(body.readableBytesView))
            let target = target, route = route, channel = context.channel
            let forward: ProxyForward = { try await Self.forward(request, to: target) }
            Task {
                let reply: ProxyReply
                do {
                    reply = try await route(request, forward)
                } catch {
                    reply = .answer(ProxiedAnswer(status: 502, contentType: "text/plain", body: Data("\(error)".utf8)))
                }
                switch reply {
                case .close:
                    try? await channel.close()
                case .answer(let answer):
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: answer.contentType)
                    headers.add(name: "Content-Length", value: "\(answer.body.count)")
                    let status = HTTPResponseStatus(statusCode: answer.status)
                    channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)), promise: nil)
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: answer.body))), promise: nil)
                    channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
                }
            }
        }
    }

    static func forward(_ request: ProxiedRequest, to target: String) async throws -> ProxiedAnswer {
        var outgoing = HTTPClientRequest(url: target + request.uri)
        outgoing.method = HTTPMethod(rawValue: request.method)
        if let contentType = request.contentType { outgoing.headers.add(name: "Content-Type", value: contentType) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return ProxiedAnswer(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "application/json",
            body: Data(body.readableBytesView))
    }
}
