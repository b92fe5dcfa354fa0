import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import RoomSyncUseCases
import WeComAPI

/// Which WeCom the command talks to (SPEC section 3, target options). The secret is read from the environment
/// or a file, never from a flag, so it stays out of shell history and process lists.
struct TargetOptions: ParsableArguments {
    @Option(help: "WeCom API base URL (or WECOM_ENDPOINT); naming one needs credentials, never falls back to the sandbox.")
    var endpoint: String?

    @Option(name: .customLong("corp-id"), help: "Corp id (or WECOM_CORP_ID).")
    var corpID: String?

    @Option(name: .customLong("corp-secret-file"), help: "A file holding the corp secret (or WECOM_CORP_SECRET).")
    var corpSecretFile: String?

    @Flag(help: "Use the embedded sandbox, stored in .roomsync/sandbox.json.")
    var sandbox = false

    @Option(name: .customLong("sandbox-data"), help: ArgumentHelp("The embedded sandbox's data file.", visibility: .hidden))
    var sandboxData: String = ".roomsync/sandbox.json"

    @Option(help: "Overall bound in seconds on one WeCom call with its retries.")
    var timeout: Double = 60

    @Option(name: .customLong("ca-file"), help: "Extra trusted CA certificates, PEM (or SSL_CERT_FILE), for company proxies that re-sign TLS.")
    var caFile: String?

    @Option(help: "Reach WeCom through this proxy, http://[USER:PASSWORD@]HOST:PORT (or HTTPS_PROXY/HTTP_PROXY with NO_PROXY).")
    var proxy: String?

    static let defaultEndpoint = TargetDefaults.endpoint

    func validate() throws {
        guard timeout > 0, timeout <= 86400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
    }

    /// What the options and the environment name: the embedded sandbox (with the note to print when it was not
    /// asked for), or WeCom with a client configuration.
    enum Resolved {
        case embedded(note: String?)
        case wecom(WeComClient.Configuration, StateTarget)
    }

    /// Resolves the target without connecting anywhere; throws one-line errors for missing or contradictory
    /// settings (credentials, CA file, proxy URL). `liveLine`: apply's progress, which shows a rate-limit wait.
    func resolve(verbose: Bool = false, liveLine: ConsoleApplyReporter? = nil) throws -> Resolved {
        let environment = ProcessInfo.processInfo.environment
        if sandbox { return .embedded(note: nil) }
        let corpID = corpID ?? environment["WECOM_CORP_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = try readSecret(environment)
        guard let corpID, let secret else {
            if corpID != nil || secret != nil {
                throw RoomSyncError(corpID == nil ? .corpIDMissing : .corpSecretMissing)
            }
            // An endpoint named is a target chosen: missing credentials are a mistake there, never a reason to
            // change nothing real while saying it worked.
            if let named = endpoint.map({ ("--endpoint", $0) })
                ?? environment["WECOM_ENDPOINT"].flatMap({ $0.isEmpty ? nil : ("WECOM_ENDPOINT", $0) })
            {
                throw RoomSyncError(.noTargetEndpointOnly, ["source": named.0, "endpoint": named.1])
            }
            if environment["CI"].map({ !$0.isEmpty }) == true {
                throw RoomSyncError(.noTargetInCI)
            }
            return .embedded(note: Catalogue.text(.noteLine, ["text": Catalogue.text(.noteEmbeddedSandbox, ["path": sandboxData])]))
        }
        let endpoint = endpoint ?? environment["WECOM_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultEndpoint
        let caFile = caFile ?? environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let caFile {
            do {
                try WeComClient.checkCAFile(caFile)
            } catch let error as MeetingRoomAPIError {
                // The client's words for what is wrong with the file, without the operation it would be used for.
                throw self.caFile == nil
                    ? RoomSyncError(.caFileFromEnvironment, ["problem": error.message])
                    : RoomSyncError(error.detail)
            }
        }
        let proxySettings: ProxySettings?
        do {
            proxySettings = try ProxySettings.resolve(explicit: proxy, endpoint: endpoint, environment: environment)
        } catch {
            throw RoomSyncError(error)
        }
        let configuration = WeComClient.Configuration(
            endpoint: endpoint, corpID: corpID, corpSecret: secret,
            // WeCom answers in well under a second: eight seconds of silence is a dead attempt, retried under the
            // overall --timeout. Shorter than the 10 s after which the client says it is still waiting, so that
            // line can say how the first attempt ended.
            requestTimeout: min(Self.attemptTimeout(environment), .milliseconds(Int(timeout * 1000))),
            // -1 and 45033 are WeCom saying "try again"; ten attempts (backoff capped at 8 s) ride out a
            // busy spell of a minute instead of failing an apply half-way.
            retry: Self.retryPolicy(environment),
            onEvent: { event in ClientEventPrinter.print(event, verbose: verbose, liveLine: liveLine) },
            timeout: .milliseconds(Int(timeout * 1000)), proxy: proxySettings, caFile: caFile)
        return .wecom(configuration, StateTarget(endpoint: endpoint, corpID: corpID))
    }

    /// Runs `body` with the API the options name and shuts the client down on every path.
    /// `maxCallsInFlight` caps the client's adaptive number of calls in flight (apply's `--parallelism`);
    /// `liveLine` is apply's progress, where the client's rate-limit waits show.
    func withAPI<T>(
        verbose: Bool = false, maxCallsInFlight: Int? = nil, liveLine: ConsoleApplyReporter? = nil,
        _ body: (any MeetingRoomAPI, StateTarget) async throws -> T
    ) async throws -> T {
        var configuration: WeComClient.Configuration, target: StateTarget
        switch try resolve(verbose: verbose, liveLine: liveLine) {
        case .embedded(let note):
            if let note { Console.err(note) }
            return try await withEmbeddedSandbox(body)
        case .wecom(let resolvedConfiguration, let resolvedTarget):
            (configuration, target) = (resolvedConfiguration, resolvedTarget)
        }
        if let maxCallsInFlight {
            configuration.maxCallsInFlight = maxCallsInFlight
            configuration.initialCallsInFlight = min(configuration.initialCallsInFlight, maxCallsInFlight)
        }
        return try await WeComClient.withClient(configuration) { try await body($0, target) }
    }

    /// How long one attempt may go unanswered: 8 s, or `ROOMSYNC_ATTEMPT_TIMEOUT_MS`. The tests raise it: their
    /// sandbox runs inside the test process, and on a loaded two-core runner it can fall silent for longer than
    /// WeCom ever does; an add that times out is never sent again (SPEC 7), so the apply under test would stop
    /// for a reason that has nothing to do with what it tests.
    static func attemptTimeout(_ environment: [String: String]) -> Duration {
        milliseconds("ROOMSYNC_ATTEMPT_TIMEOUT_MS", in: environment).map { .milliseconds($0) } ?? .seconds(8)
    }

    /// `ROOMSYNC_RETRY_BASE_DELAY_MS` shortens the backoff (tests and impatient local runs against a sandbox);
    /// the number of attempts stays the same.
    static func retryPolicy(_ environment: [String: String]) -> WeComClient.RetryPolicy {
        guard let milliseconds = milliseconds("ROOMSYNC_RETRY_BASE_DELAY_MS", in: environment) else {
            return WeComClient.RetryPolicy(maxAttempts: 10)
        }
        return WeComClient.RetryPolicy(
            maxAttempts: 10, baseDelay: .milliseconds(milliseconds), maxDelay: .milliseconds(milliseconds * 32))
    }

    /// A positive whole number of milliseconds in the variable `name`; anything else leaves the default.
    private static func milliseconds(_ name: String, in environment: [String: String]) -> Int? {
        guard let text = environment[name], let milliseconds = Int(text), milliseconds > 0 else { return nil }
        return milliseconds
    }

    func withEmbeddedSandbox<T>(_ body: (any MeetingRoomAPI, StateTarget) async throws -> T) async throws -> T {
        let sandbox = try TargetDefaults.embeddedSandbox(dataFile: sandboxData)
        return try await body(sandbox, StateTarget(endpoint: "sandbox:\(sandboxData)", corpID: nil))
    }

    private func readSecret(_ environment: [String: String]) throws -> String? {
        if let corpSecretFile {
            let data: Data?
            do {
                data = try AtomicFile.read(corpSecretFile)
            } catch {
                throw error.error(about: .corpSecretFile)
            }
            guard let data else {
                throw FileSystemError(.read, path: corpSecretFile, code: ENOENT).error(about: .corpSecretFile)
            }
            // Never echoed: a file that is not text is only said to be unreadable.
            guard let text = String(data: data, encoding: .utf8) else {
                throw RoomSyncError(.corpSecretNotUTF8, ["path": corpSecretFile])
            }
            let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw RoomSyncError(.corpSecretEmpty, ["path": corpSecretFile]) }
            return secret
        }
        return environment["WECOM_CORP_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension TargetOptions {
    /// The API the options name, as the use cases open it. `maxCallsInFlight` and `liveLine` as for `withAPI`;
    /// `onOpen` learns the target once the API is open (apply's `--notify` names it even when apply then fails).
    func provider(
        verbose: Bool = false, maxCallsInFlight: Int? = nil, liveLine: ConsoleApplyReporter? = nil,
        onOpen: @escaping (StateTarget) -> Void = { _ in }
    ) -> TargetAPI {
        TargetAPI(options: self, verbose: verbose, maxCallsInFlight: maxCallsInFlight, liveLine: liveLine, onOpen: onOpen)
    }
}

/// `TargetOptions.withAPI` behind the use cases' `MeetingRoomAPIProvider` seam.
struct TargetAPI: MeetingRoomAPIProvider {
    let options: TargetOptions
    let verbose: Bool
    let maxCallsInFlight: Int?
    let liveLine: ConsoleApplyReporter?
    let onOpen: (StateTarget) -> Void

    func withAPI<T>(_ body: (any MeetingRoomAPI, StateTarget) async throws -> T) async throws -> T {
        try await options.withAPI(verbose: verbose, maxCallsInFlight: maxCallsInFlight, liveLine: liveLine) { api, target in
            onOpen(target)
            return try await body(api, target)
        }
    }
}
