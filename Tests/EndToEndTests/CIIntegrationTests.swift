import Foundation
import RoomSyncTestSupport
import Testing

extension Integrations {
    /// `validate --format json|github|sarif` and `roomsync schema` through the built binary (SPEC sections 5 and 9).
    @Suite struct CIIntegrationTests {
        static let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        static let broken = """
            version: 1
            rooms:
              Bad_Key: {name: A, capacity: 1}
              ok:
                name: B
                capacty: 3
              r3: {name: "", capacity: 1}

            """

        @Test func githubFormatPrintsOneAnnotationPerDiagnostic() async throws {
            try await withTemporaryDirectory { directory in
                try Self.broken.write(to: directory.appendingPathComponent("rooms.yaml"), atomically: true, encoding: .utf8)
                let text = try await RoomSyncBinary.run(["validate"], in: directory)
                #expect(text.status == 1)
                let diagnostics = text.stderr.split(separator: "\n")
                #expect(diagnostics.count == 3, "\(text)")

                let github = try await RoomSyncBinary.run(["validate", "--format", "github"], in: directory)
                #expect(github.status == 1)
                #expect(github.stdout == """
                    ::error file=rooms.yaml,line=3,col=3::invalid room key 'Bad_Key'; keys match [a-z0-9][a-z0-9._-]{0,63}
                    ::error file=rooms.yaml,line=6,col=5::unknown field 'capacty'; did you mean 'capacity'?
                    ::error file=rooms.yaml,line=7,col=14::name must be 1 to 30 characters, found 0

                    """)
                #expect(github.stderr == "")

                let json = try await RoomSyncBinary.run(["validate", "--format", "json"], in: directory)
                #expect(json.status == 1)
                let object = try json.json()
                #expect(object["valid"] as? Bool == false)
                #expect(object["files"] as? Int == 1)
                #expect((object["diagnostics"] as? [[String: Any]])?.map { $0["line"] as? Int } == [3, 6, 7])

                let sarif = try await RoomSyncBinary.run(["validate", "--format", "sarif"], in: directory)
                #expect(sarif.status == 1)
                let log = try sarif.json()
                let results = try #require((log["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
                #expect(results.count == 3)
                let regions = results.compactMap {
                    ((($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Int])
                }
                #expect(regions == [["startLine": 3, "startColumn": 3], ["startLine": 6, "startColumn": 5], ["startLine": 7, "startColumn": 14]])

                let bad = try await RoomSyncBinary.run(["validate", "--format", "xml"], in: directory)
                #expect(bad.status != 0)
            }
        }

        @Test func validManifestInEveryFormat() async throws {
            try await withTemporaryDirectory { directory in
                let example = Self.packageRoot.appendingPathComponent("rooms.example.yaml").path
                for format in ["text", "github"] {
                    let run = try await RoomSyncBinary.run(["validate", "--format", format, example], in: directory)
                    #expect(run.status == 0, "\(run)")
                    #expect(run.stdout == "Valid: 9 rooms in 1 file.\n")
                }
                let json = try await RoomSyncBinary.run(["validate", "--format", "json", example], in: directory)
                #expect(try json.json()["valid"] as? Bool == true)
                let sarif = try await RoomSyncBinary.run(["validate", "--format", "sarif", example], in: directory)
                #expect(((try sarif.json()["runs"] as? [[String: Any]])?.first?["results"] as? [Any])?.isEmpty == true)
            }
        }

        @Test func schemaCommandPrintsTheCommittedFileByteForByte() async throws {
            try await withTemporaryDirectory { directory in
                let run = try await RoomSyncBinary.run(["schema"], in: directory)
                #expect(run.status == 0)
                let committed = try Data(contentsOf: Self.packageRoot.appendingPathComponent("schema/roomsync.schema.json"))
                #expect(Data(run.stdout.utf8) == committed, "schema/roomsync.schema.json is stale: run `roomsync schema > schema/roomsync.schema.json`")
            }
        }

        @Test func exampleManifestPointsEditorsAtTheSchema() throws {
            let example = try String(contentsOf: Self.packageRoot.appendingPathComponent("rooms.example.yaml"), encoding: .utf8)
            #expect(example.hasPrefix("# yaml-language-server: $schema=./schema/roomsync.schema.json\n"))
        }
    }
}
