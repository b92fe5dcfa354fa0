/// A room's fields, each checked on its own: the cases of `fields`, and the values that have a shape of their own
/// (equipment, range, coordinate, `ignore_changes`).
extension ManifestDecoder {
    /// The fields of a room or of `defaults`, each checked on its own, written into `result`; false when `node`
    /// is not a mapping. Into a value the caller holds rather than returned: returning it copied every room's
    /// fields once more.
    mutating func fields(_ node: YAMLView, inDefaults: Bool, into result: inout RoomFields) -> Bool {
        guard let pairs = node.mapping else {
            error(at: node.mark, LocalizedText(.diagExpectedMapping, keyed: ["found": Self.kind(of: node)]))
            return false
        }
        for pair in pairs {
            // Matched on the key's bytes: a String for every field of every room cost more than checking it.
            let field = pair.key.withText(RoomField.init(utf8:)) ?? nil
            guard let field, !(inDefaults && field == .name) else {
                guard let key = fieldName(pair.key) else { continue }
                let known = inDefaults ? RoomField.defaultNames : RoomField.roomNames
                if key == "name" {
                    error(at: pair.key.mark, LocalizedText(.diagNameInDefaults))
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
                        error(at: value.mark, LocalizedText(.diagNameLength, ["max": String(Self.maxNameLength), "length": String(length)]))
                    } else {
                        result.values.name = name
                        result.held |= field.bit
                    }
                }
            case .capacity:
                if let capacity = integer(value, in: Self.capacityRange, label: "capacity") {
                    result.values.capacity = capacity
                    result.held |= field.bit
                } else {
                    result.held &= ~field.bit
                }
            case .city:
                result.values.city = nonEmptyText(value, label: "city")
            case .building:
                result.values.building = nonEmptyText(value, label: "building")
            case .floor:
                result.values.floor = nonEmptyText(value, label: "floor")
            case .equipment:
                result.values.equipment = equipment(value)
            case .coordinate:
                result.values.coordinate = coordinate(value)
            case .range:
                result.values.range = range(value)
            case .protect:
                if case .bool(let flag)? = value.scalar?.kind {
                    result.protect = flag
                } else {
                    error(at: value.mark, LocalizedText(.diagExpectedBoolean, keyed: ["found": Self.kind(of: value)]))
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
            error(at: node.mark, LocalizedText(.diagExpectedFieldNames, keyed: ["found": Self.kind(of: node)]))
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
                    error(at: item.mark, LocalizedText(.diagIgnoreChangesSuggestion, ["name": DiagnosticText.shown(name), "suggestion": meant]))
                } else {
                    error(at: item.mark, LocalizedText(.diagIgnoreChangesExpected, ["name": DiagnosticText.shown(name), "known": known.joined(separator: ", ")]))
                }
                continue
            }
            fields.append(field)
        }
        return failed ? nil : fields
    }

    /// The ids, sorted and without duplicates (equipment is compared as a set).
    private mutating func equipment(_ node: YAMLView) -> [Int]? {
        guard let items = node.sequence else {
            error(at: node.mark, LocalizedText(.diagExpectedEquipmentList, keyed: ["found": Self.kind(of: node)]))
            return nil
        }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        var failed = false
        for item in items {
            // The usual spellings matched on bytes; only unusual ones (`TV`, `03`) are made a String for `init(name:)`.
            if let equipment = (item.withText(Equipment.init(utf8:)) ?? nil) ?? item.text.flatMap(Equipment.init(name:)) {
                result.append(equipment.rawValue)
            } else {
                failed = true
                let names = Equipment.allCases.map(\.englishName).joined(separator: ", ") + ", "
                    + Equipment.allCases.map(\.chineseName).joined(separator: ", ")
                if let scalar = item.scalar {
                    error(at: item.mark, LocalizedText(.diagUnknownEquipment, ["value": DiagnosticText.shown(scalar.value), "names": names]))
                } else {
                    error(at: item.mark, LocalizedText(.diagUnknownEquipmentKind, ["names": names], keyed: ["found": Self.kind(of: item)]))
                }
            }
        }
        return failed ? nil : Equipment.sortedSet(ids: result)
    }

    private mutating func range(_ node: YAMLView) -> RoomRange? {
        guard let pairs = node.mapping else {
            error(at: node.mark, LocalizedText(.diagExpectedMapping, keyed: ["found": Self.kind(of: node)]))
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
                    error(at: value.mark, LocalizedText(.diagExpectedSequence, keyed: ["found": Self.kind(of: value)]))
                    failed = true
                    continue
                }
                if items.count > Self.maxRangeEntries {
                    error(at: value.mark, LocalizedText(.diagRangeTooMany, ["field": key, "count": String(items.count), "max": String(Self.maxRangeEntries)]))
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
            error(at: node.mark, LocalizedText(.diagExpectedCoordinateMapping, keyed: ["found": Self.kind(of: node)]))
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
        if !seen.latitude { error(at: node.mark, LocalizedText(.diagCoordinateMissing, ["part": "latitude"])) }
        if !seen.longitude { error(at: node.mark, LocalizedText(.diagCoordinateMissing, ["part": "longitude"])) }
        guard let latitude, let longitude else { return nil }
        return Coordinate(latitude: latitude, longitude: longitude)
    }

    /// A latitude or longitude, written as a number or a string, kept as the text written so it reaches
    /// WeCom byte for byte.
    private mutating func degrees(_ node: YAMLView, label: String, limit: Int) -> String? {
        switch node.scalarKind {
        case .int?, .float?, .string?: break
        default:
            error(at: node.mark, LocalizedText(.diagExpectedNumber, ["label": label], keyed: ["found": Self.kind(of: node)]))
            return nil
        }
        // Checked on the bytes, and a String made only of a good value.
        // `decimal(_:isAtMost:)` reads digits, so only of what `isDecimal` accepted.
        let shape = node.withText { bytes in
            let decimal = Self.isDecimal(bytes)
            return (decimal: decimal, inRange: decimal && Self.decimal(bytes, isAtMost: limit))
        }!
        guard shape.decimal else {
            error(at: node.mark, LocalizedText(.diagCoordinateNotDecimal, ["label": label, "value": DiagnosticText.shown(node.text!)]))
            return nil
        }
        guard shape.inRange else {
            error(at: node.mark, LocalizedText(.diagCoordinateRange, ["label": label, "limit": String(limit), "value": DiagnosticText.shown(node.text!)]))
            return nil
        }
        return node.text
    }
}
