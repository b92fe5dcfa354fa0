import Foundation
import RoomSyncCore

/// The cached access token and the one refresh in flight. An actor, so that concurrent calls that all see an
/// expired token wait for one `gettoken` instead of each making their own.
actor TokenCache {
    private var token: String?
    private var refreshAt: ContinuousClock.Instant = .now
    private var inFlight: Task<String, any Error>?

    /// The cached token while it is fresh, otherwise a new one from `fetch`.
    func current(fetch: @escaping @Sendable () async throws -> (String, Int)) async throws -> String {
        if let token, ContinuousClock.now < refreshAt { return token }
        return try await refresh(fetch: fetch)
    }

    /// Called when WeCom rejected `stale`. If another call has already replaced it, that token is used; if a
    /// refresh is under way, its result is shared.
    func replace(_ stale: String, fetch: @escaping @Sendable () async throws -> (String, Int)) async throws -> String {
        if let token, token != stale { return token }
        token = nil
        return try await refresh(fetch: fetch)
    }

    private func refresh(fetch: @escaping @Sendable () async throws -> (String, Int)) async throws -> String {
        if let inFlight { return try await inFlight.value }
        // The task runs on this actor, after `inFlight` is set. It clears `inFlight` itself, in the same step that
        // stores the token, so no caller can ever join a finished refresh and get a token already known stale.
        let task = Task<String, any Error> {
            defer { self.inFlight = nil }
            let (newToken, expiresIn) = try await fetch()
            self.store(newToken, expiresIn: expiresIn)
            return newToken
        }
        inFlight = task
        return try await task.value
    }

    private func store(_ newToken: String, expiresIn: Int) {
        token = newToken
        // Refresh a little before WeCom's expiry: a minute early, or a fifth of the lifetime when that is short.
        let margin = min(60.0, Double(expiresIn) / 5)
        refreshAt = ContinuousClock.now + .milliseconds(Int((Double(expiresIn) - margin) * 1000))
    }
}

extension WeComClient {
    /// `gettoken`, with the same retries as any other call. Returns the token and its lifetime in seconds.
    func fetchToken() async throws -> (String, Int) {
        let operation = "gettoken"
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "corpid", value: configuration.corpID),
            URLQueryItem(name: "corpsecret", value: configuration.corpSecret),
        ]
        // `+` is legal in a query but means a space to most servers; secrets may contain it.
        let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let data = try await send(
            operation, method: .GET, address: .url("\(base)/cgi-bin/gettoken?\(query)"), body: nil, resendable: true)
        struct Answer: Decodable {
            var access_token: String
            var expires_in: Int
        }
        let answer = try decode(Answer.self, data, operation: operation)
        emit(.tokenRefreshed)
        return (answer.access_token, answer.expires_in)
    }

    func currentToken() async throws -> String {
        try await tokens.current { [self] in try await fetchToken() }
    }

    func replaceToken(_ stale: String) async throws -> String {
        try await tokens.replace(stale) { [self] in try await fetchToken() }
    }
}

extension WeComClient {
    /// Fetches (or reuses) the access token: checks the corp id and secret with `gettoken` alone, for `doctor`.
    public func checkCredentials() async throws {
        _ = try await currentToken()
    }
}
