/// The meeting-room equipment WeCom knows (seed document, appendix). Manifests may name it by id, English or
/// Chinese name; the wire and the state use the id.
public enum Equipment: Int, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case tv = 1
    case phone = 2
    case projector = 3
    case whiteboard = 4
    case video = 5

    public var englishName: String {
        switch self {
        case .tv: "tv"
        case .phone: "phone"
        case .projector: "projector"
        case .whiteboard: "whiteboard"
        case .video: "video"
        }
    }

    public var chineseName: String {
        switch self {
        case .tv: "电视"
        case .phone: "电话"
        case .projector: "投影"
        case .whiteboard: "白板"
        case .video: "视频"
        }
    }

    /// Accepts `1`…`5`, `tv`/`phone`/`projector`/`whiteboard`/`video` (any case), or 电视/电话/投影/白板/视频.
    public init?(name: String) {
        if let id = Int(name), let equipment = Equipment(rawValue: id) {
            self = equipment
            return
        }
        let lowered = name.lowercased()
        guard let match = Equipment.allCases.first(where: { $0.englishName == lowered || $0.chineseName == name }) else {
            return nil
        }
        self = match
    }

    public static func < (lhs: Equipment, rhs: Equipment) -> Bool { lhs.rawValue < rhs.rawValue }
}
