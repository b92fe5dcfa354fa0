import Foundation
import RoomSyncEngine
import WeComAPI

/// `--notify` (SPEC section 9): posts a markdown summary to the WeCom group robot whose full webhook URL is in
/// `ROOMSYNC_WEBHOOK_URL`. A notification that cannot be sent is a warning on stderr, never the command's
/// failure, and neither the URL nor its key is ever printed.
enum Notify {
    static let variable = "ROOMSYNC_WEBHOOK_URL"

    static func post(_ content: String) async {
        guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
            Console.err("warning: --notify: \(variable) is not set; no notification was sent")
            return
        }
        do {
            try await WebhookNotifier(url: url).post(markdown: content)
        } catch {
            Console.err("warning: --notify: the notification was not sent: \(error)")
        }
    }
}
