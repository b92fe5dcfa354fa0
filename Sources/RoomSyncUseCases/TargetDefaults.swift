import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox

/// What a command talks to when the options name nothing more.
public enum TargetDefaults {
    /// WeCom's API, when credentials are given without an endpoint.
    public static let endpoint = "https://qyapi.weixin.qq.com"

    /// The embedded sandbox kept in `dataFile`; a data file that cannot be read is a one-line error naming it.
    public static func embeddedSandbox(dataFile: String) throws -> EmbeddedSandbox {
        try EmbeddedSandbox(dataFile: dataFile)
    }
}
