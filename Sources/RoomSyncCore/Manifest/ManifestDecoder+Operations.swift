/// The file's operations (`moved`, `import`, `prune`): see `ManifestOperations` for what they mean.
extension ManifestDecoder {
    /// `moved: [{from: KEY, to: KEY}, …]`.
    mutating func moves(_ node: YAMLView) -> [ManifestOperations.Move] {
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
}
