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

    public var chineseName: String { chineseNameLiteral.description }

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

    /// The usual spellings (`1`…`5`, the lowercase English names, the Chinese ones) matched on UTF-8 bytes, for
    /// the manifest decoder, which meets them in nearly every room; `nil` for anything else, which
    /// `init(name:)` still accepts if it can (`TV`, `03`).
    init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        switch name.count {
        case 1:
            guard let id = name.first, id >= UInt8(ascii: "1"), let match = Equipment(rawValue: Int(id) - 48) else { return nil }
            self = match
        case 2:
            guard name.equals("tv") else { return nil }
            self = .tv
        case 5:
            if name.equals("phone") { self = .phone } else if name.equals("video") { self = .video } else { return nil }
        case 6:
            // Each of the Chinese names is two characters of three bytes.
            guard let match = Self.allCases.first(where: { name.equals($0.chineseNameLiteral) }) else { return nil }
            self = match
        case 9:
            guard name.equals("projector") else { return nil }
            self = .projector
        case 10:
            guard name.equals("whiteboard") else { return nil }
            self = .whiteboard
        default:
            return nil
        }
    }

    /// A literal, so that `init(utf8:)` compares bytes without making a String.
    private var chineseNameLiteral: StaticString {
        switch self {
        case .tv: "电视"
        case .phone: "电话"
        case .projector: "投影"
        case .whiteboard: "白板"
        case .video: "视频"
        }
    }

    private static let byName: [String: Equipment] = Dictionary(uniqueKeysWithValues: allCases.flatMap { equipment in
        [(String(equipment.rawValue), equipment), (equipment.englishName, equipment), (equipment.chineseName, equipment)]
    })

    /// The ids of a manifest's equipment (all of them `Equipment`'s), sorted and without duplicates, as equipment is
    /// compared as a set; by a bit per kind, as this runs for every room of a manifest. A list that already is one
    /// (most are: `[tv, phone]` written in that order, or one shared by many rooms) is returned as it is, without a
    /// new array for every room.
    static func sortedSet(ids: [Int]) -> [Int] {
        var present = 0
        var ordered = true
        for id in ids {
            let bit = 1 << id
            ordered = ordered && present < bit
            present |= bit
        }
        if ordered { return ids }
        return allCases.lazy.map(\.rawValue).filter { present & (1 << $0) != 0 }
    }

    public static func < (lhs: Equipment, rhs: Equipment) -> Bool { lhs.rawValue < rhs.rawValue }
}
