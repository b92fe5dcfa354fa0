import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// `validate --format json|github|sarif` (SPEC section 5): exact output for a run with errors, a warning, a
/// diagnostic with no place, and text that needs escaping.
@Suite struct ValidationRenderTests {
    static func sample() -> ManifestReadResult {
        ManifestReadResult(
            rooms: [],
            files: ["rooms/a.yaml", "rooms/b,c.yaml"],
            diagnostics: [
                .error(at: SourceLocation(file: "rooms/a.yaml", line: 4, column: 11), "name must be 1 to 30 characters, found 31"),
                .error(at: SourceLocation(file: "rooms/b,c.yaml", line: 5, column: 5), "unknown field 'capacty'; did you mean 'capacity'?"),
                .warning(at: SourceLocation(file: "rooms/a.yaml", line: 9, column: 3), "100% sure: a\nb"),
                .error(at: nil, "no manifest given"),
            ])
    }

    static func valid() -> ManifestReadResult {
        ManifestReader.read(bytes: Array("version: 1\nrooms:\n  r1: {name: A, capacity: 2}\n".utf8), name: "m.yaml")
    }

    @Test func githubPrintsOneWorkflowCommandPerDiagnostic() {
        let output = ValidationRenderer.render(Self.sample(), format: .github, toolVersion: "0.1.0")
        #expect(output == """
            ::error file=rooms/a.yaml,line=4,col=11::name must be 1 to 30 characters, found 31
            ::error file=rooms/b%2Cc.yaml,line=5,col=5::unknown field 'capacty'; did you mean 'capacity'?
            ::warning file=rooms/a.yaml,line=9,col=3::100%25 sure: a%0Ab
            ::error::no manifest given

            """)
        let lines = output.split(separator: "\n")
        #expect(lines.count == Self.sample().diagnostics.count)
    }

    @Test func githubOnAValidManifestPrintsOnlyTheSummary() {
        #expect(ValidationRenderer.render(Self.valid(), format: .github, toolVersion: "0.1.0") == "Valid: 1 room in 1 file.\n")
    }

    @Test func jsonHasTheContractShape() throws {
        let output = ValidationRenderer.render(Self.sample(), format: .json, toolVersion: "0.1.0")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(object["format_version"] as? Int == 1)
        #expect(object["valid"] as? Bool == false)
        #expect(object["rooms"] as? Int == 0)
        #expect(object["files"] as? Int == 2)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 4)
        #expect(diagnostics[0]["file"] as? String == "rooms/a.yaml")
        #expect(diagnostics[0]["line"] as? Int == 4)
        #expect(diagnostics[0]["column"] as? Int == 11)
        #expect(diagnostics[0]["severity"] as? String == "error")
        #expect(diagnostics[0]["message"] as? String == "name must be 1 to 30 characters, found 31")
        #expect(diagnostics[2]["severity"] as? String == "warning")
        #expect(diagnostics[3]["file"] is NSNull)
        #expect(diagnostics[3]["line"] is NSNull)
        let mismatch = goldenMismatch(output, named: "validate.json")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func jsonOfAValidManifest() throws {
        let output = ValidationRenderer.render(Self.valid(), format: .json, toolVersion: "0.1.0")
        #expect(output == """
            {
              "diagnostics" : [

              ],
              "files" : 1,
              "format_version" : 1,
              "rooms" : 1,
              "valid" : true
            }

            """)
    }

    @Test func sarifHasAResultPerDiagnosticWithRegion() throws {
        let output = ValidationRenderer.render(Self.sample(), format: .sarif, toolVersion: "0.1.0")
        let mismatch = goldenMismatch(output, named: "validate.sarif")
        #expect(mismatch == nil, "\(mismatch ?? "")")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        #expect(log["$schema"] as? String == "https://json.schemastore.org/sarif-2.1.0.json")
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "roomsync")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        let ruleIDs = rules.compactMap { $0["id"] as? String }
        let results = try #require(runs[0]["results"] as? [[String: Any]])
        #expect(results.count == Self.sample().diagnostics.count)
        for (result, diagnostic) in zip(results, Self.sample().diagnostics) {
            let ruleID = try #require(result["ruleId"] as? String)
            #expect(ruleIDs.contains(ruleID))
            #expect(result["ruleIndex"] as? Int == ruleIDs.firstIndex(of: ruleID))
            #expect((result["message"] as? [String: Any])?["text"] as? String == diagnostic.message)
            #expect(result["level"] as? String == diagnostic.severity.rawValue)
            guard let location = diagnostic.location else {
                #expect(result["locations"] == nil)
                continue
            }
            let physical = try #require(((result["locations"] as? [[String: Any]])?.first)?["physicalLocation"] as? [String: Any])
            let region = try #require(physical["region"] as? [String: Int])
            #expect(region == ["startLine": location.line, "startColumn": location.column])
            let uri = try #require((physical["artifactLocation"] as? [String: Any])?["uri"] as? String)
            #expect(uri.removingPercentEncoding == location.file)
        }
    }

    /// The SARIF 2.1.0 object model as `sarif-pydantic` (PyPI) implements it reads the output back, with the same
    /// results and regions.
    @Test func sarifObjectModelReadsIt() async throws {
        let venv: URL
        do {
            venv = try await PythonTools.environment()
        } catch {
            if PythonTools.required { Issue.record("sarif-pydantic is required but unavailable: \(error)") }
            print("skipped: sarifObjectModelReadsIt: \(error)")
            return
        }
        let script = """
            import sys, sarif_pydantic
            log = sarif_pydantic.Sarif.model_validate_json(sys.stdin.read())
            assert log.version == "2.1.0", log.version
            run = log.runs[0]
            ids = [rule.id for rule in run.tool.driver.rules]
            for result in run.results:
                assert result.rule_id in ids, result.rule_id
                where = "-"
                if result.locations:
                    region = result.locations[0].physical_location.region
                    where = f"{result.locations[0].physical_location.artifact_location.uri}:{region.start_line}:{region.start_column}"
                print(result.level.value if hasattr(result.level, "value") else result.level, where, result.message.text.replace("\\n", " "))
            """
        let output = ValidationRenderer.render(Self.sample(), format: .sarif, toolVersion: "0.1.0")
        let run = try await PythonTools.run(venv.appendingPathComponent("bin/python").path, ["-c", script], stdin: output)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output == """
            error rooms/a.yaml:4:11 name must be 1 to 30 characters, found 31
            error rooms/b,c.yaml:5:5 unknown field 'capacty'; did you mean 'capacity'?
            warning rooms/a.yaml:9:3 100% sure: a b
            error - no manifest given

            """)
    }

    @Test func absolutePathsUnderTheWorkingDirectoryBecomeRelative() {
        let result = ManifestReadResult(rooms: [], files: ["/repo/rooms/a.yaml"], diagnostics: [
            .error(at: SourceLocation(file: "/repo/rooms/a.yaml", line: 2, column: 1), "x"),
            .error(at: SourceLocation(file: "/elsewhere/b.yaml", line: 3, column: 1), "y"),
        ])
        #expect(ValidationRenderer.render(result, format: .github, toolVersion: "0", relativeTo: "/repo/") == """
            ::error file=rooms/a.yaml,line=2,col=1::x
            ::error file=/elsewhere/b.yaml,line=3,col=1::y

            """)
        #expect(ValidationRenderer.render(result, format: .sarif, toolVersion: "0", relativeTo: "/repo").contains("\"uri\" : \"rooms/a.yaml\""))
        // JSON keeps the paths as read.
        #expect(ValidationRenderer.render(result, format: .json, toolVersion: "0", relativeTo: "/repo").contains("/repo/rooms/a.yaml"))
        #expect(ValidationRenderer.relative("/repository/a.yaml", to: "/repo") == "/repository/a.yaml")
    }

    @Test func sarifURIsAreRelativeOrFileURIs() {
        #expect(ValidationRenderer.artifactURI("rooms/深圳.yaml") == "rooms/%E6%B7%B1%E5%9C%B3.yaml")
        #expect(ValidationRenderer.artifactURI("/tmp/a b.yaml") == "file:///tmp/a%20b.yaml")
    }
}
