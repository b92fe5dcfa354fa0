import RoomSyncCore

/// A field's value as plans and drift reports show it: JSON-friendly and printable.
public enum FieldValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case none
    case string(String)
    case int(Int)
    case list([String])
    case range(RoomRange)
    case coordinate(Coordinate)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .none
        } else if let int = try? container.decode(Int.self) {
            self = .int(int)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let list = try? container.decode([String].self) {
            self = .list(list)
        } else if let coordinate = try? container.decode(Coordinate.self) {
            // Before the range: a range's lists may be left out, so any object (a coordinate too) reads as one.
            self = .coordinate(coordinate)
        } else {
            self = .range(try container.decode(RoomRange.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .none: try container.encodeNil()
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .range(let value): try container.encode(value)
        case .coordinate(let value): try container.encode(value)
        }
    }

    public var description: String {
        switch self {
        case .none: Catalogue.text(.valueNone)
        case .string(let value): "\"\(value)\""
        case .int(let value): String(value)
        case .list(let value): "[\(value.joined(separator: ", "))]"
        case .range(let range):
            Catalogue.text(.valueRange, [
                "users": range.userList.joined(separator: ", "),
                "departments": range.departmentList.map(String.init).joined(separator: ", "),
            ])
        case .coordinate(let coordinate): "(\(coordinate.latitude), \(coordinate.longitude))"
        }
    }

    static func equipment(_ ids: [Int]?) -> FieldValue {
        guard let ids else { return .none }
        return .list(ids.sorted().map { Equipment(rawValue: $0)?.englishName ?? String($0) })
    }
}

/// One field that differs: what it is and what it will be (or, in drift, what was applied and what is live).
public struct FieldChange: Sendable, Hashable, Codable {
    public var field: String
    public var before: FieldValue
    public var after: FieldValue

    public init(field: String, before: FieldValue, after: FieldValue) {
        self.field = field
        self.before = before
        self.after = after
    }

    /// The field as a person reads it: its name in English, the console's word in Chinese (容纳人数). JSON and
    /// saved plans keep `field`.
    public var label: String {
        let key: MessageKey? =
            switch field {
            case "name": .fieldName
            case "capacity": .fieldCapacity
            case "city": .fieldCity
            case "building": .fieldBuilding
            case "floor": .fieldFloor
            case "equipment": .fieldEquipment
            case "coordinate": .fieldCoordinate
            case "range": .fieldRange
            default: nil
            }
        return key.map { Catalogue.text($0) } ?? field
    }

    /// `capacity: 10 → 12`.
    public var readableChange: String {
        Catalogue.text(.fieldChanged, ["field": label, "before": before, "after": after])
    }
}
