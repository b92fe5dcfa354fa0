import Foundation
@testable import RoomSyncCore
import RoomSyncCoreTestSupport
import Testing

/// `roomsync schema` (SPEC section 9): the committed `schema/roomsync.schema.json` is the generated schema, and
/// a real JSON Schema validator (`check-jsonschema` from PyPI) agrees with `validate` on which manifests are
/// valid, for every manifest the tests have: each rule's bad manifest, the fixtures, the example, the fuzz corpus.
@Suite struct ManifestSchemaTests {
    static let committed = packageRoot.appendingPathComponent("schema/roomsync.schema.json")

    @Test func committedSchemaIsTheGeneratedOne() throws {
        let file = try String(contentsOf: Self.committed, encoding: .utf8)
        #expect(file == ManifestSchema.json, "schema/roomsync.schema.json is stale: run `roomsync schema > schema/roomsync.schema.json`")
    }

    @Test func schemaUsesTheReadersConstants() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(ManifestSchema.json.utf8)) as? [String: Any])
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let defs = try #require(schema["$defs"] as? [String: Any])
        let room = try #require((defs["room"] as? [String: Any])?["properties"] as? [String: [String: Any]])
        #expect(Set(room.keys) == ["name", "capacity", "city", "building", "floor", "equipment", "coordinate", "range", "protect", "ignore_changes"])
        #expect(room["name"]?["maxLength"] as? Int == 30)
        #expect(room["capacity"]?["minimum"] as? Int == 1)
        #expect(room["capacity"]?["maximum"] as? Int == 100_000)
        let defaults = try #require((defs["defaults"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(defaults["name"] == nil)
        #expect((defs["key"] as? [String: Any])?["pattern"] as? String == "^[a-z0-9][a-z0-9._-]{0,63}$")
        let top = try #require(schema["properties"] as? [String: Any])
        #expect(Set(top.keys) == ["version", "defaults", "rooms", "moved", "import", "prune"])
        let equipment = String(decoding: try JSONSerialization.data(withJSONObject: defs["equipment"]!), as: UTF8.self)
        for name in ["tv", "phone", "projector", "whiteboard", "video", "电视", "电话", "投影", "白板", "视频"] {
            #expect(equipment.contains("\"\(name)\""))
        }
        let ignore = try #require(((defs["ignore_changes"] as? [String: Any])?["items"] as? [String: Any])?["enum"] as? [String])
        #expect(ignore == ["name", "capacity", "location", "equipment", "coordinate", "range"])
    }

    @Test func decimalPatternsMatchTheReadersBounds() throws {
        let latitude = try Regex(ManifestSchema.decimalPattern(atMost: 90))
        let longitude = try Regex(ManifestSchema.decimalPattern(atMost: 180))
        for good in ["0", "-0", "90", "-90", "90.000", "89.999999", "22.540503", "9", "07"] {
            #expect(good.wholeMatch(of: latitude) != nil, "\(good)")
        }
        for bad in ["91", "90.0001", "-90.5", "100", "abc", "1.", ".5", "1e5", "", "-"] {
            #expect(bad.wholeMatch(of: latitude) == nil, "\(bad)")
        }
        for good in ["180", "-180.0", "179.99", "113.934528", "99", "5"] {
            #expect(good.wholeMatch(of: longitude) != nil, "\(good)")
        }
        for bad in ["181", "180.5", "-1180", "200"] {
            #expect(bad.wholeMatch(of: longitude) == nil, "\(bad)")
        }
    }

    /// Manifests whose invalidity a JSON Schema cannot express: `validate` rejects them for what the YAML is, not
    /// for the document's shape, and the validator's own YAML loader (ruamel.yaml) cannot even load them (it
    /// recurses or expands without bound, and its crash would end the whole check). Each entry says why. Every
    /// other manifest must get the same answer from both. (Keys defined twice in one file are YAML errors the
    /// loader reports too; keys clashing across files are checked by `validate` only, and the corpus is per file.)
    static let beyondSchema: [String: String] = [
        "fuzz/alias-bomb.yaml": "alias expansion bound: the loader hangs expanding it",
        "fuzz/alias-depth-chain.yaml": "alias expansion bound: the loader exceeds Python's recursion limit",
        "fuzz/long-scalar-alias.yaml": "alias expansion bound counting scalar length: the loader refuses its 32,768-digit integer with an exception",
        "fuzz/deep-nesting-flow.yaml": "nesting depth bound: the loader exceeds Python's recursion limit",
        // Not the schema but the YAML version: roomsync reads YAML 1.1 as libyaml does, where an unquoted `no` is
        // false; the validator's loader (and yaml-language-server by default) reads YAML 1.2, where it is text. A
        // schema that refused the text "no" would also refuse the quoted "no" that roomsync accepts.
        "rule 17 (8:12: error: expected a string, found a boolean; quote it (\"no\") if you mean text)":
            "YAML 1.1 boolean `no`, text to a YAML 1.2 loader",
    ]

    /// Extra manifests for the rules the schema spells out with conditions: what `defaults` lends a room.
    static let defaultsCases: [(name: String, manifest: String)] = [
        ("capacity-from-defaults", "version: 1\ndefaults: {capacity: 4}\nrooms:\n  r1: {name: A}\n"),
        ("capacity-missing-defaults-without", "version: 1\ndefaults: {city: C, building: B, floor: F}\nrooms:\n  r1: {name: A}\n"),
        ("location-split-over-defaults", "version: 1\ndefaults: {city: C, building: B}\nrooms:\n  r1: {name: A, capacity: 1, floor: 2F}\n"),
        ("location-incomplete-with-defaults", "version: 1\ndefaults: {city: C}\nrooms:\n  r1: {name: A, capacity: 1, floor: 2F}\n"),
        ("location-incomplete-from-defaults-only", "version: 1\ndefaults: {city: C}\nrooms:\n  r1: {name: A, capacity: 1}\n"),
        ("location-all-in-room", "version: 1\nrooms:\n  r1: {name: A, capacity: 1, city: C, building: B, floor: F}\n"),
        ("location-none", "version: 1\nrooms:\n  r1: {name: A, capacity: 1}\n"),
        ("location-overridden", "version: 1\ndefaults: {city: C, building: B, floor: F}\nrooms:\n  r1: {name: A, capacity: 1, floor: G}\n"),
        ("equipment-spellings", "version: 1\nrooms:\n  r1: {name: A, capacity: 1, equipment: [1, \"2\", TV, Phone, 投影, whiteboard, 05]}\n"),
        ("equipment-unknown-id", "version: 1\nrooms:\n  r1: {name: A, capacity: 1, equipment: [0]}\n"),
        ("numbers-as-text", "version: 1\nrooms:\n  \"18\": {name: 1801, capacity: 1, city: 0755, building: 1, floor: 18}\n"),
        ("null-name", "version: 1\nrooms:\n  r1: {name: ~, capacity: 1}\n"),
        ("coordinate-location-from-defaults", "version: 1\ndefaults: {city: C, building: B, floor: F}\nrooms:\n  r1: {name: A, capacity: 1, coordinate: {latitude: 1, longitude: 2}}\n"),
        ("coordinate-from-defaults-location-in-room", "version: 1\ndefaults: {coordinate: {latitude: 1, longitude: 2}}\nrooms:\n  r1: {name: A, capacity: 1, city: C, building: B, floor: F}\n"),
        ("coordinate-from-defaults-no-location", "version: 1\ndefaults: {coordinate: {latitude: 1, longitude: 2}}\nrooms:\n  r1: {name: A, capacity: 1, city: C, building: B, floor: F}\n  r2: {name: B, capacity: 1}\n"),
        ("empty-floor", "version: 1\nrooms:\n  r1: {name: A, capacity: 1, city: C, building: B, floor: \"\"}\n"),
    ]

    /// Every manifest the tests know, by a name for messages.
    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        var cases: [(String, [UInt8])] = []
        for (index, rule) in ManifestRuleTests.ruleCases.enumerated() {
            cases.append(("rule \(index + 1) (\(rule.expected.dropFirst("m.yaml:".count)))", Array(rule.manifest.utf8)))
        }
        for extra in defaultsCases { cases.append(("defaults/\(extra.name)", Array(extra.manifest.utf8))) }
        let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
        var files: [(String, URL)] = [("rooms.example.yaml", packageRoot.appendingPathComponent("rooms.example.yaml"))]
        for directory in [fixtures.appendingPathComponent("directory"), packageRoot.appendingPathComponent("fuzz/corpus")] {
            let prefix = directory.lastPathComponent == "corpus" ? "fuzz/" : "fixtures/"
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                files.append((prefix + name, directory.appendingPathComponent(name)))
            }
        }
        for (name, url) in files { cases.append((name, Array(try Data(contentsOf: url)))) }
        return cases
    }

    @Test func checkJSONSchemaAgreesWithValidate() async throws {
        let venv: URL
        do {
            venv = try await PythonTools.environment()
        } catch {
            if PythonTools.required { Issue.record("check-jsonschema is required but unavailable: \(error)") }
            print("skipped: checkJSONSchemaAgreesWithValidate: \(error)")
            return
        }
        let cases = try Self.corpus()
        #expect(cases.count > 80)
        try await withTemporaryDirectory { directory in
            let schema = directory.appendingPathComponent("roomsync.schema.json")
            try ManifestSchema.json.write(to: schema, atomically: true, encoding: .utf8)
            var paths: [String] = []
            for (index, item) in cases.enumerated() where Self.beyondSchema[item.name] == nil {
                let file = directory.appendingPathComponent("case-\(index).yaml")
                try Data(item.bytes).write(to: file)
                paths.append(file.path)
            }
            let run = try await PythonTools.run(
                venv.appendingPathComponent("bin/python").path,
                ["-m", "check_jsonschema", "--schemafile", schema.path, "--force-filetype", "yaml", "-o", "json"] + paths)
            let report = try #require(
                try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run.output.prefix(2000))")
            var rejected = Set<String>()
            for key in ["errors", "parse_errors"] {
                for error in report[key] as? [[String: Any]] ?? [] {
                    if let file = error["filename"] as? String { rejected.insert(URL(fileURLWithPath: file).lastPathComponent) }
                }
            }
            var validCount = 0, invalidCount = 0
            for (index, item) in cases.enumerated() where Self.beyondSchema[item.name] == nil {
                let valid = !ManifestReader.read(bytes: item.bytes, name: "m.yaml").hasErrors
                if valid { validCount += 1 } else { invalidCount += 1 }
                let schemaValid = !rejected.contains("case-\(index).yaml")
                #expect(schemaValid == valid, "\(item.name): validate says \(valid ? "valid" : "invalid"), the schema \(schemaValid ? "valid" : "invalid")")
            }
            // Both kinds are there, so agreement means something.
            #expect(validCount >= 8)
            #expect(invalidCount >= 50)
        }
    }
}
