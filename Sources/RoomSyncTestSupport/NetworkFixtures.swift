import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

// Loopback servers for the network tests: a counting forward proxy, a listener that never answers, and a TLS
// front for a served sandbox. Each binds 127.0.0.1 on a port the system picks and is stopped by its `with…`
// function on every path.

/// Forwards bytes between two channels on one event loop, each handler writing what its partner reads (the
/// pattern of swift-nio's connect-proxy example). Closing either side closes both.
final class GlueHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Sees every inbound buffer (the proxy counts requests in tunnels with it).
    private let observe: (@Sendable (ByteBuffer) -> Void)?

    private init(observe: (@Sendable (ByteBuffer) -> Void)?) {
        self.observe = observe
    }

    static func matchedPair(observingFirst: (@Sendable (ByteBuffer) -> Void)? = nil) -> (GlueHandler, GlueHandler) {
        let first = GlueHandler(observe: observingFirst)
        let second = GlueHandler(observe: nil)
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        observe?(buffer)
        if let partner { partner.context?.write(partner.wrapOutboundOut(buffer), promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        partner?.context?.close(promise: nil)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let partner, partner.pendingRead {
            partner.pendingRead = false
            partner.context?.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

/// Child channels a server accepted, closed when it stops.
final class ChannelSet: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    func closeAll() async {
        let all = channels.withLock { Array($0.values) }
        for channel in all { try? await channel.close() }
    }
}

/// Runs `body`, then closes a test server's listening channel and every connection it accepted, on every path
/// (return, throw, cancellation).
func closingOnEveryPath<T>(_ server: any Channel, _ children: ChannelSet, _ body: () async throws -> T) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    try? await server.close()
    await children.closeAll()
    return try result.get()
}

// MARK: - Forward proxy

/// A forward proxy for tests: answers `CONNECT host:port` by opening a tunnel (to 127.0.0.1 whatever the host, so
/// tests can name hosts that do not resolve), counts CONNECTs and the HTTP requests that went through its
/// tunnels, and optionally requires basic credentials (407 otherwise). Other methods (plain forwarding, which
/// AsyncHTTPClient never uses: it tunnels http too) are answered 501 and counted.
public final class TestProxy: @unchecked Sendable {
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }
    let channel: any Channel
    let children = ChannelSet()
    let counts = Counts()

    final class Counts: Sendable {
        struct Values {
            var connects: [String] = []
            var refused = 0
            var plain = 0
            var tunnelled = 0
            var authorizations: [String] = []
            /// The last bytes of each tunnelled client → server stream, for a request line split across reads.
            var carry: [ObjectIdentifier: String] = [:]
        }

        let values = Mutex(Values())
    }

    /// CONNECT targets, in order (`host:port`).
    public var connects: [String] { counts.values.withLock { $0.connects } }
    /// CONNECTs refused for missing or wrong credentials.
    public var refusedForCredentials: Int { counts.values.withLock { $0.refused } }
    /// Requests that were not CONNECT.
    public var plainRequests: Int { counts.values.withLock { $0.plain } }
    /// HTTP requests seen inside plain-text tunnels (request lines `METHOD /path HTTP/1.1`).
    public var tunnelledRequests: Int { counts.values.withLock { $0.tunnelled } }
    /// Every `Proxy-Authorization` header value received.
    public var authorizations: [String] { counts.values.withLock { $0.authorizations } }

    init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    func stop() async {
        try? await channel.close()
        await children.closeAll()
    }
}

/// Runs `body` with a forward proxy on 127.0.0.1; `credentials` (`user:password`) makes it require basic auth.
public func withTestProxy<T>(credentials: String? = nil, _ body: (TestProxy) async throws -> T) async throws -> T {
    let required = credentials.map { "Basic " + Data($0.utf8).base64EncodedString() }
    let holder = ProxyHolder()
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                holder.proxy?.children.add(channel)
                let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                let encoder = HTTPResponseEncoder()
                try channel.pipeline.syncOperations.addHandler(decoder)
                try channel.pipeline.syncOperations.addHandler(encoder)
                try channel.pipeline.syncOperations.addHandler(
                    ConnectHandler(holder: holder, required: required, decoder: decoder, encoder: encoder))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let proxy = TestProxy(port: server.localAddress?.port ?? 0, channel: server)
    holder.proxy = proxy
    do {
        let result = try await body(proxy)
        await proxy.stop()
        return result
    } catch {
        await proxy.stop()
        throw error
    }
}

final class ProxyHolder: @unchecked Sendable {
    var proxy: TestProxy?
}

private final class ConnectHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let holder: ProxyHolder
    let required: String?
    let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    let encoder: HTTPResponseEncoder
    var head: HTTPRequestHead?

    init(holder: ProxyHolder, required: String?, decoder: ByteToMessageHandler<HTTPRequestDecoder>, encoder: HTTPResponseEncoder) {
        self.holder = holder
        self.required = required
        self.decoder = decoder
        self.encoder = encoder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end: handle(context: context)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, headers: HTTPHeaders = [:], close: Bool) {
        var headers = headers
        headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func handle(context: ChannelHandlerContext) {
        guard let head, let counts = holder.proxy?.counts else { return }
        if let authorization = head.headers.first(name: "Proxy-Authorization") {
            counts.values.withLock { $0.authorizations.append(authorization) }
        }
        guard head.method == .CONNECT else {
            counts.values.withLock { $0.plain += 1 }
            respond(context, .notImplemented, close: true)
            return
        }
        if let required, head.headers.first(name: "Proxy-Authorization") != required {
            counts.values.withLock { $0.refused += 1 }
            respond(context, .proxyAuthenticationRequired, headers: ["Proxy-Authenticate": "Basic realm=\"test\""], close: true)
            return
        }
        let target = head.uri
        guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]) else {
            respond(context, .badRequest, close: true)
            return
        }
        counts.values.withLock { $0.connects.append(target) }
        let channel = context.channel
        let key = ObjectIdentifier(channel)
        let observe: @Sendable (ByteBuffer) -> Void = { buffer in
            let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
            counts.values.withLock { counts in
                // A request line ends with " HTTP/1.1\r\n", which no header or JSON body holds. The carried tail is
                // shorter than that marker, so a marker split across reads is counted once.
                let stream = (counts.carry[key] ?? "") + text
                counts.tunnelled += stream.components(separatedBy: " HTTP/1.1\r\n").count - 1
                counts.carry[key] = String(stream.unicodeScalars.suffix(10))
            }
        }
        ClientBootstrap(group: context.eventLoop).connect(host: "127.0.0.1", port: port).whenComplete { [self] result in
            switch result {
            case .failure:
                respond(context, .badGateway, close: true)
            case .success(let peer):
                holder.proxy?.children.add(peer)
                let (clientSide, serverSide) = GlueHandler.matchedPair(observingFirst: observe)
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                context.pipeline.syncOperations.removeHandler(encoder, promise: nil)
                _ = try? peer.pipeline.syncOperations.addHandler(serverSide)
                _ = try? context.pipeline.syncOperations.addHandler(clientSide)
                context.pipeline.syncOperations.removeHandler(self, promise: nil)
                context.pipeline.syncOperations.removeHandler(decoder, promise: nil)
            }
        }
    }
}

// MARK: - A listener that never answers

/// Accepts connections, reads nothing back, never answers: a firewall that drops, a wrong proxy port.
public final class SilentListener: Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    /// Connections accepted so far.
    public var accepted: Int { count.withLock { $0 } }
    let channel: any Channel
    let children = ChannelSet()
    let count = Mutex(0)

    init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }
}

public func withSilentListener<T>(_ body: (SilentListener) async throws -> T) async throws -> T {
    let holder = Holder<SilentListener>()
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            if let listener = holder.value {
                listener.count.withLock { $0 += 1 }
                listener.children.add(channel)
            }
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let listener = SilentListener(port: server.localAddress?.port ?? 0, channel: server)
    holder.value = listener
    return try await closingOnEveryPath(server, listener.children) { try await body(listener) }
}

final class Holder<Value>: @unchecked Sendable {
    var value: Value?
}

// MARK: - HTTPS in front of a served sandbox

/// A self-signed certificate for 127.0.0.1 and localhost, made with `openssl` (nil when it is not installed).
public struct TestCertificate: Sendable {
    public let certificatePath: String
    public let keyPath: String

    public static var opensslAvailable: Bool { opensslPath != nil }

    static var opensslPath: String? {
        ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Writes `cert.pem` and `key.pem` into `directory`. openssl runs on a thread of its own: waiting for a process
    /// must not hold one of the few threads every concurrent test shares.
    public static func make(in directory: URL) async throws -> TestCertificate {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try makeBlocking(in: directory) })
            }
        }
    }

    static func makeBlocking(in directory: URL) throws -> TestCertificate {
        guard let openssl = opensslPath else { throw CocoaError(.executableNotLoadable) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=roomsync test CA", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return TestCertificate(certificatePath: certificate, keyPath: key)
    }
}

/// Terminates TLS on 127.0.0.1 with `certificate` and relays each connection to `127.0.0.1:targetPort`.
public final class TLSFront: @unchecked Sendable {
    public let port: Int
    /// `https://127.0.0.1:PORT`.
    public var endpoint: String { "https://127.0.0.1:\(port)" }
    let channel: any Channel
    let children = ChannelSet()

    init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }
}

public func withTLSFront<T>(
    certificate: TestCertificate, targetPort: Int, _ body: (TLSFront) async throws -> T
) async throws -> T {
    let configuration = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificatePath).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem)))
    let context = try NIOSSLContext(configuration: configuration)
    let children = ChannelSet()
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            children.add(channel)
            return ClientBootstrap(group: channel.eventLoop).connect(host: "127.0.0.1", port: targetPort)
                .flatMapThrowing { peer in
                    children.add(peer)
                    let (front, back) = GlueHandler.matchedPair()
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(front)
                    try peer.pipeline.syncOperations.addHandler(back)
                }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let front = TLSFront(port: server.localAddress?.port ?? 0, channel: server)
    return try await closingOnEveryPath(server, children) { try await body(front) }
}
