/// The manifest's JSON Schema (draft 2020-12), for editors (`yaml-language-server`) and other tools. Built from
/// the constants the reader checks with — `RoomField`, `ManifestDecoder`'s limits and field lists, `Equipment` —
/// so a field or a limit changed there changes here too. The shapes of the manifest operations (SPEC section 2)
/// are spelled out below; their field names come from the reader.
///
/// What a schema cannot say, and `validate` still checks: a key defined twice (in one file or across files),
/// alias expansion bounds, YAML-level errors, and the values `defaults` lends a room being checked after merging
/// where the schema only sees each mapping on its own (it does express which fields `defaults` makes optional).
public enum ManifestSchema {
    /// The schema as pretty-printed JSON, ending with a newline: what `roomsync schema` prints and what is
    /// committed as `schema/roomsync.schema.json`.
    public static var json: String { document().rendered(indent: "") + "\n" }

    /// The fields `ignore_changes` may name (SPEC section 2): `location` stands for city, building and floor.
    public static var ignorableFields: [String] { ManagedField.names }

    static func document() -> SchemaJSON {
        var properties: [(String, SchemaJSON)] = []
        for field in ManifestDecoder.topLevelFields {
            properties.append((field, topLevel(field)))
        }
        return .object([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("title", "roomsync manifest"),
            ("description", "WeCom meeting rooms declared as code (roomsync manifest format version 1)."),
            ("type", "object"),
            ("required", .strings(["version", "rooms"])),
            ("additionalProperties", false),
            ("properties", .object(properties)),
            ("allOf", .array([capacityFromDefaults()] + locationRules())),
            ("$defs", .object([
                ("key", .object([
                    ("description", "A manifest key: the room's stable identity."),
                    ("type", "string"),
                    ("pattern", .string("^\(ManifestDecoder.keyPattern)$")),
                ])),
                ("text", .object([
                    ("description", "Text; a plain number is taken as the text written."),
                    ("type", .strings(["string", "number"])),
                    ("minLength", 1),
                ])),
                ("room", fields(inDefaults: false)),
                ("defaults", fields(inDefaults: true)),
                ("equipment", equipment()),
                ("coordinate", coordinate()),
                ("range", range()),
                ("ignore_changes", .object([
                    ("description", "Fields sent on add, then never planned or reported as drift again."),
                    ("type", "array"),
                    ("uniqueItems", true),
                    ("items", .object([("enum", .strings(ignorableFields))])),
                ])),
            ])),
        ])
    }

    static func topLevel(_ field: String) -> SchemaJSON {
        switch field {
        case "version":
            return .object([("description", "The manifest format version."), ("type", "integer"), ("const", 1)])
        case "defaults":
            return .object([("$ref", "#/$defs/defaults")])
        case "rooms":
            return .object([
                ("description", "Rooms by manifest key."),
                ("type", "object"),
                ("propertyNames", .object([("$ref", "#/$defs/key")])),
                ("additionalProperties", .object([("$ref", "#/$defs/room")])),
            ])
        case "moved":
            return .object([
                ("description", "Manifest keys renamed: the state follows, the room is untouched. Applied in order."),
                ("type", "array"),
                ("items", .object([
                    ("type", "object"),
                    ("required", .strings(["from", "to"])),
                    ("additionalProperties", false),
                    ("properties", .object([
                        ("from", .object([("$ref", "#/$defs/key")])),
                        ("to", .object([("$ref", "#/$defs/key")])),
                    ])),
                ])),
            ])
        case "import":
            return .object([
                ("description", "Existing live rooms adopted under a manifest key."),
                ("type", "array"),
                ("items", .object([
                    ("type", "object"),
                    ("required", .strings(["key", "meetingroom_id"])),
                    ("additionalProperties", false),
                    ("properties", .object([
                        ("key", .object([("$ref", "#/$defs/key")])),
                        ("meetingroom_id", .object([("type", "integer"), ("minimum", 1)])),
                    ])),
                ])),
            ])
        case "prune":
            return .object([
                ("type", "object"),
                ("additionalProperties", false),
                ("properties", .object([
                    ("exclude", .object([
                        ("description", "Live room names (globs) that --prune never deletes."),
                        ("type", "array"),
                        ("items", .object([("type", "string"), ("minLength", 1)])),
                    ])),
                ])),
            ])
        default:
            preconditionFailure("no schema for top-level field \(field)")
        }
    }

    /// A room, or a file's `defaults` (every room field but `name`).
    static func fields(inDefaults: Bool) -> SchemaJSON {
        var properties: [(String, SchemaJSON)] = []
        for field in RoomField.allCases where !(inDefaults && field == .name) {
            properties.append((field.rawValue, schema(of: field)))
        }
        var members: [(String, SchemaJSON)] = [
            ("description", .string(inDefaults
                ? "Fields merged under every room of this file (a room's own value replaces the default whole)."
                : "A meeting room.")),
            ("type", "object"),
        ]
        // `capacity` is required too, unless `defaults` sets it: the top-level `allOf` says so.
        if !inDefaults { members.append(("required", .strings([RoomField.name.rawValue]))) }
        members.append(("additionalProperties", false))
        members.append(("properties", .object(properties)))
        return .object(members)
    }

    static func schema(of field: RoomField) -> SchemaJSON {
        switch field {
        case .name:
            return .object([
                ("description", "The room's name as WeCom shows it."),
                ("type", .strings(["string", "number"])),
                ("minLength", 1),
                ("maxLength", .int(ManifestDecoder.maxNameLength)),
            ])
        case .capacity:
            return .object([
                ("description", "How many people the room seats."),
                ("type", "integer"),
                ("minimum", .int(ManifestDecoder.capacityRange.lowerBound)),
                ("maximum", .int(ManifestDecoder.capacityRange.upperBound)),
            ])
        case .city, .building, .floor:
            return .object([
                ("description", "City, building and floor: all three or none (after defaults)."),
                ("$ref", "#/$defs/text"),
            ])
        case .equipment:
            return .object([("$ref", "#/$defs/equipment")])
        case .coordinate:
            return .object([("$ref", "#/$defs/coordinate")])
        case .range:
            return .object([("$ref", "#/$defs/range")])
        case .protect:
            return .object([("description", "roomsync refuses to delete this room."), ("type", "boolean")])
        case .ignoreChanges:
            return .object([("$ref", "#/$defs/ignore_changes")])
        }
    }

    static func equipment() -> SchemaJSON {
        let all = Equipment.allCases
        var names: [SchemaJSON] = all.map { .int($0.rawValue) }
        names += all.map { .string($0.englishName) }
        names += all.map { .string($0.chineseName) }
        // `Equipment(name:)` also takes English names in any case and ids written as text with leading zeros.
        let anyCase = all.map { $0.englishName.map { "[\($0)\($0.uppercased())]" }.joined() }
        let ids = "[\(all.first!.rawValue)-\(all.last!.rawValue)]"
        return .object([
            ("description", .string("Equipment in the room, compared as a set: "
                + all.map { "\($0.rawValue) \($0.englishName) \($0.chineseName)" }.joined(separator: ", ") + ".")),
            ("type", "array"),
            ("items", .object([
                ("anyOf", .array([
                    .object([("enum", .array(names))]),
                    .object([("type", "string"), ("pattern", .string("^(\\+?0*\(ids)|\(anyCase.joined(separator: "|")))$"))]),
                ])),
            ])),
        ])
    }

    static func coordinate() -> SchemaJSON {
        func degrees(_ label: String, limit: Int) -> SchemaJSON {
            .object([
                ("description", .string("The \(label) in degrees, as a number or as a decimal string like \"22.540503\".")),
                ("anyOf", .array([
                    .object([("type", "number"), ("minimum", .int(-limit)), ("maximum", .int(limit))]),
                    .object([("type", "string"), ("pattern", .string(decimalPattern(atMost: limit)))]),
                ])),
            ])
        }
        return .object([
            ("description", "The building's coordinates (WeCom keeps the first ones given for a building)."),
            ("type", "object"),
            ("required", .strings(ManifestDecoder.coordinateFields)),
            ("additionalProperties", false),
            ("properties", .object([
                ("latitude", degrees("latitude", limit: 90)),
                ("longitude", degrees("longitude", limit: 180)),
            ])),
        ])
    }

    static func range() -> SchemaJSON {
        let max = SchemaJSON.int(ManifestDecoder.maxRangeEntries)
        var properties: [(String, SchemaJSON)] = []
        for field in ManifestDecoder.rangeFields {
            switch field {
            case "user_list":
                properties.append((field, .object([
                    ("description", "User ids that may book the room."),
                    ("type", "array"), ("maxItems", max), ("items", .object([("$ref", "#/$defs/text")])),
                ])))
            case "department_list":
                properties.append((field, .object([
                    ("description", "Department ids that may book the room."),
                    ("type", "array"), ("maxItems", max),
                    ("items", .object([
                        ("type", "integer"),
                        ("minimum", .int(ManifestDecoder.departmentRange.lowerBound)),
                        ("maximum", .int(ManifestDecoder.departmentRange.upperBound)),
                    ])),
                ])))
            default:
                preconditionFailure("no schema for range field \(field)")
            }
        }
        return .object([
            ("description", "Who may use the room."),
            ("type", "object"),
            ("additionalProperties", false),
            ("properties", .object(properties)),
        ])
    }

    /// Every room needs a capacity unless the file's `defaults` gives one.
    static func capacityFromDefaults() -> SchemaJSON {
        .object([
            ("if", .object([
                ("required", .strings(["defaults"])),
                ("properties", .object([("defaults", .object([("required", .strings(["capacity"]))]))])),
            ])),
            ("else", .object([
                ("properties", .object([
                    ("rooms", .object([("additionalProperties", .object([("required", .strings(["capacity"]))]))])),
                ])),
            ])),
        ])
    }

    /// City, building and floor go together after `defaults` are merged: for each set of them `defaults` gives,
    /// what every room must then give; and a coordinate needs them.
    static func locationRules() -> [SchemaJSON] {
        let location = [RoomField.city, .building, .floor].map(\.rawValue)
        var rules: [SchemaJSON] = []
        for mask in 0..<(1 << location.count) {
            let given = location.indices.filter { mask & (1 << $0) != 0 }.map { location[$0] }
            let missing = location.filter { !given.contains($0) }
            guard !missing.isEmpty else { continue }  // defaults give all three: any room is complete
            var defaults: [(String, SchemaJSON)] = []
            if !given.isEmpty { defaults.append(("required", .strings(given))) }
            defaults.append(("not", .object([("anyOf", .array(missing.map { .object([("required", .strings([$0]))]) }))])))
            var condition: [(String, SchemaJSON)] = []
            if !given.isEmpty { condition.append(("required", .strings(["defaults"]))) }
            condition.append(("properties", .object([("defaults", .object(defaults))])))
            // With no location from `defaults`, a room's coordinate needs the room's own location.
            let room: SchemaJSON =
                given.isEmpty
                ? .object([("dependentRequired", .object(location.map { field in
                    (field, .strings(location.filter { $0 != field }))
                } + [(RoomField.coordinate.rawValue, .strings(location))]))])
                : .object([("required", .strings(missing))])
            rules.append(.object([
                ("if", .object(condition)),
                ("then", .object([("properties", .object([("rooms", .object([("additionalProperties", room)]))]))])),
            ]))
        }
        // A coordinate in `defaults` with no location there: every room gives all three.
        rules.append(.object([
            ("if", .object([
                ("required", .strings(["defaults"])),
                ("properties", .object([("defaults", .object([
                    ("required", .strings([RoomField.coordinate.rawValue])),
                    ("not", .object([("anyOf", .array(location.map { .object([("required", .strings([$0]))]) }))])),
                ]))])),
            ])),
            ("then", .object([("properties", .object([("rooms", .object([("additionalProperties", .object([("required", .strings(location))]))]))]))])),
        ]))
        return rules
    }

    /// A regular expression for the decimals `ManifestDecoder` accepts between `-limit` and `limit`: the integer
    /// part below `limit` with any fraction, or `limit` itself with a zero fraction.
    static func decimalPattern(atMost limit: Int) -> String {
        let digits = String(limit).map { Int(String($0))! }
        var below: [String] = []
        for length in 1..<max(digits.count, 2) where length < digits.count {
            below.append(length == 1 ? "[0-9]" : "[1-9][0-9]" + (length > 2 ? "{\(length - 1)}" : ""))
        }
        // Numbers with as many digits as `limit`: its first `i` digits, then a smaller digit, then anything.
        for i in digits.indices {
            let low = i == 0 ? 1 : 0
            let high = digits[i] - 1
            guard high >= low else { continue }
            let prefix = digits[..<i].map(String.init).joined()
            let rest = digits.count - i - 1
            let tail = rest == 0 ? "" : rest == 1 ? "[0-9]" : "[0-9]{\(rest)}"
            below.append(prefix + (low == high ? "\(low)" : "[\(low)-\(high)]") + tail)
        }
        return "^-?0*(((\(below.joined(separator: "|")))(\\.[0-9]+)?)|\(limit)(\\.0+)?)$"
    }
}

/// Just enough JSON to write the schema with its keys in a chosen order (JSONEncoder sorts or scrambles them,
/// and an editor shows a schema's properties in the order written).
indirect enum SchemaJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([SchemaJSON])
    case object([(String, SchemaJSON)])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }

    static func strings(_ values: [String]) -> SchemaJSON { .array(values.map(SchemaJSON.string)) }

    func rendered(indent: String) -> String {
        let inner = indent + "  "
        switch self {
        case .string(let text): return Self.quoted(text)
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .array(let items):
            // Short lists of scalars on one line, as people write them.
            if items.allSatisfy({ if case .object = $0 { false } else if case .array = $0 { false } else { true } }) {
                let line = "[" + items.map { $0.rendered(indent: inner) }.joined(separator: ", ") + "]"
                if line.count + indent.count <= 100 { return line }
            }
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            return "{\n" + members.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
