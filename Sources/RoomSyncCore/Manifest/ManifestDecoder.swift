/// Checks one file's YAML tree against the manifest format (SPEC section 2) and turns it into rooms. Every
/// problem is recorded and decoding goes on, so one run reports all the errors of a file.
struct ManifestDecoder {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Lists many rooms repeat, kept once (`SharedValues`), when the file is big enough for that to matter (its
    /// rooms decoded in batches); a decoder decodes one file's rooms, or a slice of them.
    var sharesLists = false
    private var sharedEquipment = SharedValues<[Equipment]>()
    private var sharedUsers = SharedValues<[String]>()
    private var sharedDepartments = SharedValues<[Int]>()

    /// A room key as written, and where its room is in the decoded rooms when it had no error. The rooms are kept
    /// apart, in one array per file, so that they can be sorted where they are (`ManifestReader.assemble`).
    struct Entry {
        var key: String
        var origin: SourceLocation
        /// In the file's rooms, or -1.
        var room: Int32
    }

    init(file: String) {
        self.file = file
    }

    static let topLevelFields = ["version", "defaults", "rooms", "moved", "import", "prune"]
    static let rangeFields = ["user_list", "department_list"]
    static let coordinateFields = ["latitude", "longitude"]
    static let maxNameLength = 30
    static let capacityRange = 1...100_000
    static let maxRangeEntries = 1000
    static let departmentRange = 1...4_294_967_295
    /// WeCom's meeting-room ids are 32-bit.
    static let meetingroomIDRange = 1...Int(Int32.max)
    /// What `isValidKey` accepts, as a regular expression (for messages and the JSON Schema).
    static let keyPattern = "[a-z0-9][a-z0-9._-]{0,63}"

    /// What the top of a file holds: the defaults and the rooms to decode under them, and the operations the
    /// file declares.
    struct Header {
        var defaults: RoomFields
        var rooms: YAMLMapping
        var operations: ManifestOperations
    }

    /// Checks `version`, `defaults` and the shape of `rooms`; `nil` when there are no rooms to decode.
    mutating func decodeHeader(_ root: YAMLNode) -> Header? {
        root.withView { root in decodeHeader(root) }
    }

    private mutating func decodeHeader(_ root: YAMLView) -> Header? {
        guard let top = root.mapping else {
            error(at: root.mark, "expected a mapping at the top of the manifest, found \(Self.describe(root))")
            return nil
        }
        var version: YAMLView?
        var defaultsNode: YAMLView?
        var roomsNode: YAMLView?
        var operations = ManifestOperations()
        for pair in top {
            guard let key = fieldName(pair.key) else { continue }
            switch key {
            case "version": version = pair.value
            case "defaults": defaultsNode = pair.value
            case "rooms": roomsNode = pair.value
            case "moved": operations.moves = moves(pair.value)
            case "import": operations.imports = imports(pair.value)
            case "prune": operations.pruneExclusions = pruneExclusions(pair.value)
            default: error(at: pair.key.mark, FieldSuggestion.unknownField(key, known: Self.topLevelFields))
            }
        }
        if let version {
            if let number = integer(version, in: Int.min...Int.max, label: "version"), number != 1 {
                error(at: version.mark, "unsupported manifest version \(number); this roomsync reads version 1")
            }
        } else {
            error(at: root.mark, "missing required field 'version' (add 'version: 1')")
        }
        var defaults = RoomFields()
        if let defaultsNode, !fields(defaultsNode, inDefaults: true, into: &defaults) { defaults = RoomFields() }
        guard let roomsNode else {
            error(at: root.mark, "missing required field 'rooms'")
            return nil
        }
        guard let rooms = roomsNode.mapping else {
            error(at: roomsNode.mark, "expected a mapping of room keys to rooms, found \(Self.describe(roomsNode))")
            return nil
        }
        return Header(defaults: defaults, rooms: YAMLMapping(rooms), operations: operations)
    }

    /// The rooms at `positions` of the `rooms` mapping, appended to `decoded`.
    mutating func decodeRooms(
        _ rooms: YAMLMapping, _ positions: Range<Int>, defaults: RoomFields, into decoded: inout [DesiredRoom]
    ) -> [Entry] {
        decodeRooms(rooms, positions, defaults: defaults) { room in
            decoded.append(consume room)
            return Int32(decoded.count - 1)
        }
    }

    /// The rooms at `positions` of the `rooms` mapping, each one without an error given to `keep`, which says
    /// where it put it. Each room is decoded on its own, so a file's rooms can be split among several decoders
    /// and their entries and diagnostics concatenated in order.
    mutating func decodeRooms(
        _ rooms: YAMLMapping, _ positions: Range<Int>, defaults: RoomFields, keep: (consuming DesiredRoom) -> Int32
    ) -> [Entry] {
        // Through views of the tree: see `YAMLView` for why.
        rooms.withPairs { rooms in decodeRooms(rooms, positions, defaults: defaults, keep: keep) }
    }

    private mutating func decodeRooms(
        _ rooms: YAMLView.Pairs, _ positions: Range<Int>, defaults: RoomFields, keep: (consuming DesiredRoom) -> Int32
    ) -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(positions.count)
        for position in positions {
            let pair = rooms[position]
            guard let key = fieldName(pair.key) else { continue }
            let errorsBefore = diagnostics.count
            if !Self.isValidKey(key) {
                error(at: pair.key.mark, "invalid room key '\(DiagnosticText.shown(key))'; keys match \(Self.keyPattern)")
            }
            let origin = location(pair.key.mark)
            var index: Int32 = -1
            // A room that is not even a mapping gets that one error, not a "missing field" for each field.
            var fields = RoomFields()
            if self.fields(pair.value, inDefaults: false, into: &fields) {
                fields.merge(under: defaults)
                if let room = finish(key: key, fields: &fields, origin: origin), diagnostics.count == errorsBefore {
                    index = keep(consume room)
                }
            }
            entries.append(Entry(key: key, origin: origin, room: index))
        }
        return entries
    }

    /// The whole-room rules, checked after defaults are merged in. The values are moved out of `fields` (`take`),
    /// not copied: each copy of a room's strings and lists cost a retain now and a release later.
    private mutating func finish(key: String, fields: inout RoomFields, origin: SourceLocation) -> DesiredRoom? {
        // Checked on the bits first: this runs for every room, and the arrays below only for broken ones.
        let required = RoomField.name.bit | RoomField.capacity.bit
        let locationBits = RoomField.city.bit | RoomField.building.bit | RoomField.floor.bit
        if fields.written & required != required {
            for field in [RoomField.name, .capacity] where !fields.has(field) {
                diagnostics.append(.error(at: origin, "room '\(DiagnosticText.shown(key))' is missing required field '\(field.rawValue)'"))
            }
        }
        let locationWritten = fields.written & locationBits
        if locationWritten != 0 && locationWritten != locationBits {
            let missing = [RoomField.city, .building, .floor].filter { !fields.has($0) }
            let names = missing.map { "'\($0.rawValue)'" }.joined(separator: " and ")
            diagnostics.append(.error(
                at: origin, "room '\(DiagnosticText.shown(key))' has an incomplete location: missing \(names) (city, building and floor go together)"))
        }
        // WeCom takes a coordinate only with a location; said here rather than by WeCom in the middle of an apply.
        // A coordinate that is itself invalid (nil) has its own error.
        if locationWritten == 0, fields.coordinate != nil {
            diagnostics.append(.error(
                at: origin, "room '\(DiagnosticText.shown(key))' has a coordinate but no location: a coordinate needs city, building and floor"))
        }
        guard fields.name != nil, let capacity = fields.capacity, let name = fields.name.take() else { return nil }
        var location: RoomLocation?
        if fields.city != nil && fields.building != nil && fields.floor != nil {
            location = RoomLocation(city: fields.city.take()!, building: fields.building.take()!, floor: fields.floor.take()!)
        }
        let room = DesiredRoom(
            key: key, name: name, capacity: capacity, location: location, equipment: fields.equipment.take(),
            coordinate: fields.coordinate.take(), range: fields.range.take(), protect: fields.protect ?? false,
            ignoreChanges: fields.ignoreChanges.map { Set($0) } ?? Set(), origin: origin)
        return sharesLists ? sharingLists(room) : room
    }

    /// A room with its lists replaced by equal ones already kept.
    private mutating func sharingLists(_ room: consuming DesiredRoom) -> DesiredRoom {
        if let equipment = room.equipment { room.equipment = sharedEquipment.share(equipment) }
        if let range = room.range {
            room.range = RoomRange(
                userList: sharedUsers.shareIfASCII(range.userList), departmentList: sharedDepartments.share(range.departmentList))
        }
        return room
    }

    /// The fields of a room or of `defaults`, each checked on its own, written into `result`; false when `node`
    /// is not a mapping. Into a value the caller holds rather than returned: returning it copied every room's
    /// fields once more.
    private mutating func fields(_ node: YAMLView, inDefaults: Bool, into result: inout RoomFields) -> Bool {
        guard let pairs = node.mapping else {
            error(at: node.mark, "expected a mapping, found \(Self.describe(node))")
            return false
        }
        for pair in pairs {
            // Matched on the key's bytes: a String for every field of every room cost more than checking it.
            let field = pair.key.withText(RoomField.init(utf8:)) ?? nil
            guard let field, !(inDefaults && field == .name) else {
                guard let key = fieldName(pair.key) else { continue }
                let known = inDefaults ? RoomField.defaultNames : RoomField.roomNames
                if key == "name" {
                    error(at: pair.key.mark, "'name' cannot be set in defaults; give each room its own name")
                } else {
                    error(at: pair.key.mark, FieldSuggestion.unknownField(key, known: known))
                    // `capacty: 10` was meant as capacity: do not also report capacity as missing.
                    if let meant = FieldSuggestion.nearest(to: key, in: known).flatMap(RoomField.init(rawValue:)) {
                        result.written |= meant.bit
                    }
                }
                continue
            }
            result.written |= field.bit
            let value = pair.value
            switch field {
            case .name:
                if let name = text(value) {
                    let length = Self.scalarCount(name)
                    if length < 1 || length > Self.maxNameLength {
                        error(at: value.mark, "name must be 1 to \(Self.maxNameLength) characters, found \(length)")
                    } else {
                        result.name = name
                    }
                }
            case .capacity:
                result.capacity = integer(value, in: Self.capacityRange, label: "capacity")
            case .city:
                result.city = nonEmptyText(value, label: "city")
            case .building:
                result.building = nonEmptyText(value, label: "building")
            case .floor:
                result.floor = nonEmptyText(value, label: "floor")
            case .equipment:
                result.equipment = equipment(value)
            case .coordinate:
                result.coordinate = coordinate(value)
            case .range:
                result.range = range(value)
            case .protect:
                if case .bool(let flag)? = value.scalar?.kind {
                    result.protect = flag
                } else {
                    error(at: value.mark, "expected a boolean (true or false), found \(Self.describe(value))")
                }
            case .ignoreChanges:
                result.ignoreChanges = ignoredFields(value)
            }
        }
        return true
    }

    /// `ignore_changes: [FIELD…]`, each one of `ManagedField`.
    private mutating func ignoredFields(_ node: YAMLView) -> [ManagedField]? {
        guard let items = node.sequence else {
            error(at: node.mark, "expected a sequence of field names, found \(Self.describe(node))")
            return nil
        }
        var fields: [ManagedField] = []
        var failed = false
        for item in items {
            guard let name = text(item) else { failed = true; continue }
            guard let field = ManagedField(rawValue: name) else {
                failed = true
                let known = ManagedField.names
                if let meant = FieldSuggestion.nearest(to: name, in: known) {
                    error(at: item.mark, "ignore_changes: unknown field '\(DiagnosticText.shown(name))'; did you mean '\(meant)'?")
                } else {
                    error(at: item.mark, "ignore_changes: unknown field '\(DiagnosticText.shown(name))'; expected one of: \(known.joined(separator: ", "))")
                }
                continue
            }
            fields.append(field)
        }
        return failed ? nil : fields
    }

    private mutating func equipment(_ node: YAMLView) -> [Equipment]? {
        guard let items = node.sequence else {
            error(at: node.mark, "expected a sequence of equipment, found \(Self.describe(node))")
            return nil
        }
        var result: [Equipment] = []
        result.reserveCapacity(items.count)
        var failed = false
        for item in items {
            // The usual spellings matched on bytes; only unusual ones (`TV`, `03`) are made a String for `init(name:)`.
            if let equipment = (item.withText(Equipment.init(utf8:)) ?? nil) ?? item.text.flatMap(Equipment.init(name:)) {
                result.append(equipment)
            } else {
                failed = true
                let shown = item.scalar.map { "'\(DiagnosticText.shown($0.value))'" } ?? Self.describe(item)
                error(at: item.mark, "unknown equipment \(shown); expected 1-5 or one of: "
                    + Equipment.allCases.map(\.englishName).joined(separator: ", ") + ", "
                    + Equipment.allCases.map(\.chineseName).joined(separator: ", "))
            }
        }
        return failed ? nil : result
    }

    private mutating func range(_ node: YAMLView) -> RoomRange? {
        guard let pairs = node.mapping else {
            error(at: node.mark, "expected a mapping, found \(Self.describe(node))")
            return nil
        }
        var range = RoomRange()
        var failed = false
        for pair in pairs {
            guard let key = fieldName(pair.key) else { failed = true; continue }
            let value = pair.value
            switch key {
            case "user_list", "department_list":
                guard let items = value.sequence else {
                    error(at: value.mark, "expected a sequence, found \(Self.describe(value))")
                    failed = true
                    continue
                }
                if items.count > Self.maxRangeEntries {
                    error(at: value.mark, "\(key) has \(items.count) entries; WeCom allows at most \(Self.maxRangeEntries)")
                    failed = true
                    continue
                }
                if key == "user_list" {
                    range.userList.reserveCapacity(items.count)
                } else {
                    range.departmentList.reserveCapacity(items.count)
                }
                for item in items {
                    if key == "user_list" {
                        if let user = nonEmptyText(item, label: "user id") { range.userList.append(user) } else { failed = true }
                    } else {
                        if let id = integer(item, in: Self.departmentRange, label: "department id") {
                            range.departmentList.append(id)
                        } else {
                            failed = true
                        }
                    }
                }
            default:
                error(at: pair.key.mark, FieldSuggestion.unknownField(key, known: Self.rangeFields))
                failed = true
            }
        }
        return failed ? nil : range
    }

    private mutating func coordinate(_ node: YAMLView) -> Coordinate? {
        guard let pairs = node.mapping else {
            error(at: node.mark, "expected a mapping with latitude and longitude, found \(Self.describe(node))")
            return nil
        }
        var latitude: String?, longitude: String?
        var seen = (latitude: false, longitude: false)
        for pair in pairs {
            guard let key = fieldName(pair.key) else { continue }
            switch key {
            case "latitude":
                seen.latitude = true
                latitude = degrees(pair.value, label: "latitude", limit: 90)
            case "longitude":
                seen.longitude = true
                longitude = degrees(pair.value, label: "longitude", limit: 180)
            default:
                error(at: pair.key.mark, FieldSuggestion.unknownField(key, known: Self.coordinateFields))
                // A typo of latitude or longitude is reported once, not again as missing.
                switch FieldSuggestion.nearest(to: key, in: Self.coordinateFields) {
                case "latitude": seen.latitude = true
                case "longitude": seen.longitude = true
                default: break
                }
            }
        }
        if !seen.latitude { error(at: node.mark, "coordinate is missing 'latitude'") }
        if !seen.longitude { error(at: node.mark, "coordinate is missing 'longitude'") }
        guard let latitude, let longitude else { return nil }
        return Coordinate(latitude: latitude, longitude: longitude)
    }

    /// A latitude or longitude, written as a number or a string, kept as the text written so it reaches
    /// WeCom byte for byte.
    private mutating func degrees(_ node: YAMLView, label: String, limit: Int) -> String? {
        switch node.scalarKind {
        case .int?, .float?, .string?: break
        default:
            error(at: node.mark, "expected a number for \(label), found \(Self.describe(node))")
            return nil
        }
        // Checked on the bytes, and a String made only of a good value.
        // `decimal(_:isAtMost:)` reads digits, so only of what `isDecimal` accepted.
        let shape = node.withText { bytes in
            let decimal = Self.isDecimal(bytes)
            return (decimal: decimal, inRange: decimal && Self.decimal(bytes, isAtMost: limit))
        }!
        guard shape.decimal else {
            error(at: node.mark, "\(label) must be a decimal number like 22.540503, found '\(DiagnosticText.shown(node.text!))'")
            return nil
        }
        guard shape.inRange else {
            error(at: node.mark, "\(label) must be between -\(limit) and \(limit), found \(DiagnosticText.shown(node.text!))")
            return nil
        }
        return node.text
    }

    // MARK: - Operations

    /// `moved: [{from: KEY, to: KEY}, …]`.
    private mutating func moves(_ node: YAMLView) -> [ManifestOperations.Move] {
        entries(node, label: "moved", fields: ["from", "to"]) { decoder, fields, origin in
            guard let from = decoder.key(fields["from"], label: "from"), let to = decoder.key(fields["to"], label: "to") else { return nil }
            guard from != to else {
                decoder.diagnostics.append(.error(at: origin, "moved: 'from' and 'to' are both '\(from)'"))
                return nil
            }
            return ManifestOperations.Move(from: from, to: to, origin: origin)
        }
    }

    /// `import: [{key: KEY, meetingroom_id: ID}, …]`.
    private mutating func imports(_ node: YAMLView) -> [ManifestOperations.Import] {
        entries(node, label: "import", fields: ["key", "meetingroom_id"]) { decoder, fields, origin in
            guard let key = decoder.key(fields["key"], label: "key"), let idNode = fields["meetingroom_id"],
                let id = decoder.integer(idNode, in: Self.meetingroomIDRange, label: "meetingroom_id")
            else { return nil }
            return ManifestOperations.Import(key: key, meetingroomID: id, origin: origin)
        }
    }

    /// `prune: {exclude: [GLOB, …]}`.
    private mutating func pruneExclusions(_ node: YAMLView) -> [ManifestOperations.PruneExclusion] {
        guard let pairs = node.mapping else {
            error(at: node.mark, "expected a mapping with 'exclude', found \(Self.describe(node))")
            return []
        }
        var exclusions: [ManifestOperations.PruneExclusion] = []
        for pair in pairs {
            guard let key = fieldName(pair.key) else { continue }
            guard key == "exclude" else {
                error(at: pair.key.mark, FieldSuggestion.unknownField(key, known: ["exclude"]))
                continue
            }
            guard let items = pair.value.sequence else {
                error(at: pair.value.mark, "expected a sequence of room-name patterns, found \(Self.describe(pair.value))")
                continue
            }
            for item in items {
                if let pattern = nonEmptyText(item, label: "a prune.exclude pattern") {
                    exclusions.append(.init(pattern: pattern, origin: location(item.mark)))
                }
            }
        }
        return exclusions
    }

    /// A sequence of mappings with exactly `fields`, each turned into a value by `make` (nil when it has errors).
    private mutating func entries<T>(
        _ node: YAMLView, label: String, fields known: [String],
        _ make: (inout ManifestDecoder, [String: YAMLView], SourceLocation) -> T?
    ) -> [T] {
        guard let items = node.sequence else {
            error(at: node.mark, "\(label): expected a sequence of entries, found \(Self.describe(node))")
            return []
        }
        var result: [T] = []
        for item in items {
            guard let pairs = item.mapping else {
                error(at: item.mark, "\(label): expected an entry with \(known.map { "'\($0)'" }.joined(separator: " and ")), found \(Self.describe(item))")
                continue
            }
            var fields: [String: YAMLView] = [:]
            var failed = false
            for pair in pairs {
                guard let key = fieldName(pair.key) else { failed = true; continue }
                guard known.contains(key) else {
                    error(at: pair.key.mark, FieldSuggestion.unknownField(key, known: known))
                    failed = true
                    // `form: a` was meant as from: do not also report from as missing.
                    if let meant = FieldSuggestion.nearest(to: key, in: known) { fields[meant] = fields[meant] ?? pair.value }
                    continue
                }
                fields[key] = pair.value
            }
            let origin = location(item.mark)
            for field in known where fields[field] == nil {
                error(at: item.mark, "\(label): entry is missing '\(field)'")
                failed = true
            }
            guard !failed, let value = make(&self, fields, origin) else { continue }
            result.append(value)
        }
        return result
    }

    /// A manifest key in an operation entry.
    private mutating func key(_ node: YAMLView?, label: String) -> String? {
        guard let node, let key = text(node) else { return nil }
        guard Self.isValidKey(key) else {
            error(at: node.mark, "invalid room key '\(DiagnosticText.shown(key))' in '\(label)'; keys match \(Self.keyPattern)")
            return nil
        }
        return key
    }

    // MARK: - Scalars

    /// A mapping key as a field name; non-scalar keys are reported.
    private mutating func fieldName(_ key: YAMLView) -> String? {
        guard let name = key.text else {
            error(at: key.mark, "expected a field name, found \(Self.describe(key))")
            return nil
        }
        return name
    }

    /// Text for a string field. Plain numbers are taken as the text written (`floor: 18`), but booleans and null
    /// are refused: `floor: no` is YAML 1.1's `false`, never what was meant.
    private mutating func text(_ node: YAMLView) -> String? {
        // The kind is decided on the bytes, so a String is made only of text that is kept.
        switch node.scalarKind {
        case .string?, .int?, .float?: return node.text
        case .bool?: error(at: node.mark, "expected a string, found a boolean; quote it (\"\(DiagnosticText.shown(node.text!))\") if you mean text")
        case .null?: error(at: node.mark, "expected a string, found null")
        case nil: error(at: node.mark, "expected a string, found \(Self.describe(node))")
        }
        return nil
    }

    private mutating func nonEmptyText(_ node: YAMLView, label: String) -> String? {
        guard let text = text(node) else { return nil }
        guard !text.isEmpty else {
            error(at: node.mark, "\(label) must not be empty")
            return nil
        }
        return text
    }

    private mutating func integer(_ node: YAMLView, in bounds: ClosedRange<Int>, label: String) -> Int? {
        // On the bytes: no String is made of a good number.
        guard node.scalarKind == .int else {
            error(at: node.mark, "expected an integer, found \(Self.describe(node))")
            return nil
        }
        guard let value = node.withText(YAMLScalar.integerValue) ?? nil, bounds.contains(value) else {
            error(at: node.mark, "\(label) must be between \(bounds.lowerBound) and \(bounds.upperBound), found \(DiagnosticText.shown(node.text!))")
            return nil
        }
        return value
    }

    // MARK: - Helpers

    private func location(_ mark: YAMLMark) -> SourceLocation {
        SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    private mutating func error(at mark: YAMLMark, _ message: String) {
        diagnostics.append(.error(at: location(mark), message))
    }

    /// What a node is, for "expected X, found Y" messages.
    static func describe(_ node: YAMLView) -> String {
        switch node.kind {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .scalar:
            switch node.scalarKind! {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a float"
            case .string: return "a string"
            }
        }
    }

    /// `[a-z0-9][a-z0-9._-]{0,63}`, checked on bytes.
    static func isValidKey(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { utf8 in
            guard let first = utf8.first, utf8.count <= 64 else { return false }
            func isAlnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
            guard isAlnum(first) else { return false }
            return utf8.dropFirst().allSatisfy { isAlnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }
        }
    }

    /// How many Unicode scalars `text` has, counted on its UTF-8 bytes (every byte but a continuation byte starts one).
    static func scalarCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { utf8 in utf8.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
    }

    /// Whether a decimal of the shape `isDecimal` accepts is within `-limit...limit`, decided on its digits:
    /// exact, and without parsing a float for every coordinate of every room.
    static func decimal(_ text: String, isAtMost limit: Int) -> Bool {
        var text = text
        return text.withUTF8 { decimal($0, isAtMost: limit) }
    }

    static func decimal(_ utf8: UnsafeBufferPointer<UInt8>, isAtMost limit: Int) -> Bool {
        var integer = 0
        var pastPoint = false
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "-"): continue
            case UInt8(ascii: "."): pastPoint = true
            default:
                let digit = Int(byte) - 48
                if !pastPoint {
                    integer = integer * 10 + digit
                    if integer > limit { return false }
                } else if digit != 0 && integer == limit {
                    return false
                }
            }
        }
        return true
    }

    /// `-?[0-9]+(\.[0-9]+)?`: the shape WeCom's coordinate strings have.
    static func isDecimal(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(isDecimal)
    }

    static func isDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var utf8 = bytes[...]
        if utf8.first == UInt8(ascii: "-") { utf8 = utf8.dropFirst() }
        var digits = 0, dots = 0
        for byte in utf8 {
            if byte >= 48 && byte <= 57 {
                digits += 1
            } else if byte == UInt8(ascii: ".") && digits > 0 && dots == 0 {
                dots = 1
                digits = 0
            } else {
                return false
            }
        }
        return digits > 0
    }
}
