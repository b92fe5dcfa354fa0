import Foundation

/// What never reaches a message or a log: tokens, the secret, passwords in URLs.
extension WeComClient {
    /// Removes tokens and the secret from text that may reach a message or a log.
    func redact(_ text: String) -> String {
        var text = text
        // Every answer's errmsg comes through here ("ok"), and Swift builds a regex literal anew on each use: at
        // hundreds of calls a second that was an eighth of the apply's CPU. Only a text that could match runs them.
        if text.contains("access_token=") {
            text = text.replacing(/access_token=[^&\s"']*/, with: "access_token=REDACTED")
        }
        if text.contains("corpsecret=") {
            text = text.replacing(/corpsecret=[^&\s"']*/, with: "corpsecret=REDACTED")
        }
        if !configuration.corpSecret.isEmpty {
            text = text.replacingOccurrences(of: configuration.corpSecret, with: "REDACTED")
        }
        if let password = configuration.proxy?.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "REDACTED")
        }
        // user:password@ in any URL that reached the text.
        if text.contains("://") {
            text = text.replacing(/:\/\/[^\/\s@]+@/, with: "://REDACTED@")
        }
        return text
    }
}
