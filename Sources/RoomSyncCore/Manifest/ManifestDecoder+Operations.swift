/// The file's operations (`moved`, `import`, `prune`): see `ManifestOperations` for what they mean.
extension ManifestDecoder {
    /// `moved: [{from: KEY, to: KEY}, …]`.
    mutating func moves(_ node: YAMLView) -> [ManifestOperations.Move] {
        entries(node, label: "moved", fields: ["from", "to"]) { decoder, fields, origin in
            guard let from = decoder.key(fields["from"], label: "from"), let to = decoder.key(fields["to"], label: "to") else { return nil }
            guard from != to else {
                decoder.diagnostics.append(.error(at: origin, LocalizedText(.diagMovedSame, ["key": from])))
                return nil
            }
            return ManifestOperations.Move(from: from, to: to, origin: origin)
        }
    }

    /// `import: [{key: KEY, meetingroom_id: ID}, …]`.
    mutating func imports(_ node: YAMLView) -> [ManifestOperations.Import] {
        entries(node, label: "import", fields: ["key", "meetingroom_id"]) { decoder, fields, origin in
            guard let key = decoder.key(fields["key"], label: "key"), let idNode = fields["meetingroom_id"],
                let id = decoder.integer(idNode, in: Self.meetingroomIDRange, label: "meetingroom_id")
            else { return nil }
            return ManifestOperations.Import(key: key, meetingroomID: id, origin: origin)
        }
    }

    /// `prune: {exclude: [GLOB, …]}`.
    mutating func pruneExclusions(_ node: YAMLView) -> [ManifestOperations.PruneExclusion] {
        guard let pairs = node.mapping else {
            error(at: node.mark, LocalizedText(.diagExpectedExcludeMapping, keyed: ["found": Self.kind(of: node)]))
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
                error(at: pair.value.mark, LocalizedText(.diagExpectedPatterns, keyed: ["found": Self.kind(of: pair.value)]))
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
    /// Every operation's entry has two fields, which the message for a malformed entry names.
    private mutating func entries<T>(
        _ node: YAMLView, label: String, fields known: [String],
        _ make: (inout ManifestDecoder, [String: YAMLView], SourceLocation) -> T?
    ) -> [T] {
        guard let items = node.sequence else {
            error(at: node.mark, LocalizedText(.diagExpectedEntries, ["label": label], keyed: ["found": Self.kind(of: node)]))
            return []
        }
        var result: [T] = []
        for item in items {
            guard let pairs = item.mapping else {
                error(at: item.mark, LocalizedText(.diagExpectedEntry, ["label": label, "first": known[0], "second": known[1]], keyed: ["found": Self.kind(of: item)]))
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
                error(at: item.mark, LocalizedText(.diagEntryMissing, ["label": label, "field": field]))
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
            error(at: node.mark, LocalizedText(.diagInvalidRoomKeyIn, ["key": DiagnosticText.shown(key), "label": label, "pattern": Self.keyPattern]))
            return nil
        }
        return key
    }
}
