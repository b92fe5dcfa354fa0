/// Checks one file's YAML tree against the manifest format (SPEC section 2) and turns it into rooms. Every
/// problem is recorded and decoding goes on, so one run reports all the errors of a file.
struct ManifestDecoder {
    let file: String
    /// Appended to by every part of the decoder (its extensions are in files of their own).
    var diagnostics: [Diagnostic] = []
    /// Lists many rooms repeat, kept once (`SharedValues`), when the file is big enough for that to matter (its
    /// rooms decoded in batches); a decoder decodes one file's rooms, or a slice of them.
    var sharesLists = false
    private var sharedEquipment = SharedValues<[Int]>()
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
            error(at: root.mark, LocalizedText(.diagExpectedTopMapping, keyed: ["found": Self.kind(of: root)]))
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
                error(at: version.mark, LocalizedText(.diagUnsupportedVersion, ["number": String(number)]))
            }
        } else {
            error(at: root.mark, LocalizedText(.diagMissingVersion))
        }
        var defaults = RoomFields()
        if let defaultsNode, !fields(defaultsNode, inDefaults: true, into: &defaults) { defaults = RoomFields() }
        guard let roomsNode else {
            error(at: root.mark, LocalizedText(.diagMissingRooms))
            return nil
        }
        guard let rooms = roomsNode.mapping else {
            error(at: roomsNode.mark, LocalizedText(.diagExpectedRoomsMapping, keyed: ["found": Self.kind(of: roomsNode)]))
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
                error(at: pair.key.mark, LocalizedText(.diagInvalidRoomKey, ["key": DiagnosticText.shown(key), "pattern": Self.keyPattern]))
            }
            let origin = location(pair.key.mark)
            var index: Int32 = -1
            // A room that is not even a mapping gets that one error, not a "missing field" for each field. It starts
            // as its defaults, and each field it writes replaces the default's whole.
            var fields = defaults
            if self.fields(pair.value, inDefaults: false, into: &fields) {
                if let room = finish(key: key, fields: &fields, origin: origin), diagnostics.count == errorsBefore {
                    index = keep(consume room)
                }
            }
            entries.append(Entry(key: key, origin: origin, room: index))
        }
        return entries
    }

    /// The whole-room rules, checked with the defaults in. The values are moved out of `fields` (`swap`), not
    /// copied: each copy of a room's strings and lists cost a retain now and a release later. No room is made without
    /// a name and a capacity written without an error (`held`), its own or its defaults'.
    private mutating func finish(key: String, fields: inout RoomFields, origin: SourceLocation) -> DesiredRoom? {
        // Checked on the bits first: this runs for every room, and the arrays below only for broken ones.
        let required = RoomField.name.bit | RoomField.capacity.bit
        let locationBits = RoomField.city.bit | RoomField.building.bit | RoomField.floor.bit
        if fields.written & required != required {
            for field in [RoomField.name, .capacity] where !fields.has(field) {
                diagnostics.append(
                    .error(at: origin, LocalizedText(.diagRoomMissingField, ["key": DiagnosticText.shown(key), "field": field.rawValue])))
            }
        }
        let locationWritten = fields.written & locationBits
        if locationWritten != 0 && locationWritten != locationBits {
            let missing = [RoomField.city, .building, .floor].filter { !fields.has($0) }
            let names = missing.map { "'\($0.rawValue)'" }
            // One or two are missing (none written is no location at all); two are joined in the printer's language.
            let text = names.count == 2
                ? LocalizedText(
                    .diagIncompleteLocation, ["key": DiagnosticText.shown(key)],
                    keyed: ["names": LocalizedText(.diagAnd, ["first": names[0], "second": names[1]])])
                : LocalizedText(.diagIncompleteLocation, ["key": DiagnosticText.shown(key), "names": names.joined()])
            diagnostics.append(.error(at: origin, text))
        }
        // WeCom takes a coordinate only with a location; said here rather than by WeCom in the middle of an apply.
        // A coordinate that is itself invalid (nil) has its own error.
        if locationWritten == 0, fields.values.coordinate != nil {
            diagnostics.append(.error(at: origin, LocalizedText(.diagCoordinateWithoutLocation, ["key": DiagnosticText.shown(key)])))
        }
        guard fields.held & required == required else { return nil }
        var values = AddMeetingRoomRequest(name: "", capacity: 0)
        swap(&values, &fields.values)
        // A part of the location a default had wrong leaves the whole location unmanaged: WeCom takes the three together.
        if values.city == nil || values.building == nil || values.floor == nil {
            values.city = nil
            values.building = nil
            values.floor = nil
        }
        let room = DesiredRoom(
            key: key, values: values, protect: fields.protect ?? false,
            ignoreChanges: fields.ignoreChanges.map { Set($0) } ?? Set(), origin: origin)
        return sharesLists ? sharingLists(room) : room
    }

    /// A room with its lists replaced by equal ones already kept.
    private mutating func sharingLists(_ room: consuming DesiredRoom) -> DesiredRoom {
        if let equipment = room.values.equipment { room.values.equipment = sharedEquipment.share(equipment) }
        if let range = room.values.range {
            room.values.range = RoomRange(
                userList: sharedUsers.shareIfASCII(range.userList), departmentList: sharedDepartments.share(range.departmentList))
        }
        return room
    }
}
