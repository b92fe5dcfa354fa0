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
        // One lookup for the usual spellings; only unusual ones (`TV`, `03`) pay for more.
        if let match = Self.byName[name] {
            self = match
        } else if let id = Int(name), let match = Equipment(rawValue: id) {
            self = match
        } else if let match = Self.byName[name.lowercased()] {
            self = match
        } else {
            return nil
        }
    }

    private static let byName: [String: Equipment] = Dictionary(uniqueKeysWithValues: allCases.flatMap { equipment in
        [(String(equipment.rawValue), equipment), (equipment.englishName, equipment), (equipment.chineseName, equipment)]
    })

    /// Sorted and without duplicates, as equipment is compared as a set; by a bit per kind, as this runs for
    /// every room of a manifest.
    public static func sortedSet(_ equipment: [Equipment]) -> [Equipment] {
        var present = 0
        for item in equipment { present |= 1 << item.rawValue }
        return allCases.filter { present & (1 << $0.rawValue) != 0 }
    }

    public static func < (lhs: Equipment, rhs: Equipment) -> Bool { lhs.rawValue < rhs.rawValue }
}
