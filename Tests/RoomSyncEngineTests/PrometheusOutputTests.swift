import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// `drift --format prometheus` (SPEC section 5): the exact text, checked by `prometheus_client`'s own parser
/// when Python can be had, and always by the exposition format's grammar.
@Suite struct PrometheusOutputTests {
    static func report() -> DriftReport {
        var (state, live) = AcceptedDriftTests.world()
        // r2's deletion was accepted earlier; r1's change and the unmanaged room are new.
        state.acceptedDrift = DriftDetector.detect(state: state, live: live).acceptance.filter { $0.kind == "deleted" }
        live.append(Fixture.live(7, name: "console room 2"))
        return DriftDetector.detect(state: state, live: live)
    }

    static let timestamp = Date(timeIntervalSince1970: 1_764_000_000.25)

    static var output: String { DriftRenderer.render(report(), format: DriftFormat.prometheus, timestamp: timestamp) }

    @Test func exactText() {
        #expect(Self.output == """
            # HELP roomsync_drift_rooms Rooms that differ from what roomsync last applied, by kind; accepted counts drift accepted with drift --accept and unchanged since.
            # TYPE roomsync_drift_rooms gauge
            roomsync_drift_rooms{kind="changed"} 1
            roomsync_drift_rooms{kind="deleted"} 0
            roomsync_drift_rooms{kind="unmanaged"} 2
            roomsync_drift_rooms{kind="accepted"} 1
            # HELP roomsync_managed_rooms Rooms roomsync manages (in the state) among those the drift run covered.
            # TYPE roomsync_managed_rooms gauge
            roomsync_managed_rooms 2
            # HELP roomsync_drift_last_run_timestamp_seconds When the drift run finished, in seconds since the epoch.
            # TYPE roomsync_drift_last_run_timestamp_seconds gauge
            roomsync_drift_last_run_timestamp_seconds 1764000000.250

            """)
    }

    @Test func followsTheExpositionGrammar() {
        #expect(ExpositionGrammar.problems(Self.output) == [])
        // The checker itself rejects what the format forbids.
        #expect(!ExpositionGrammar.problems("roomsync_x{kind=changed} 1\n").isEmpty)
        #expect(!ExpositionGrammar.problems("# TYPE a gauge\na 1\n# TYPE a gauge\n").isEmpty)
        #expect(!ExpositionGrammar.problems("a 1\n# TYPE a gauge\n").isEmpty)
        #expect(!ExpositionGrammar.problems("1a 1\n").isEmpty)
        #expect(!ExpositionGrammar.problems("a one\n").isEmpty)
        #expect(!ExpositionGrammar.problems("a 1").isEmpty)
    }

    @Test func prometheusClientParsesIt() async throws {
        let venv: URL
        do {
            venv = try await PythonTools.environment()
        } catch {
            if PythonTools.required { Issue.record("prometheus_client is required but unavailable: \(error)") }
            print("skipped: prometheusClientParsesIt: \(error); the grammar check above still ran")
            return
        }
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    out.append([family.name, family.type, sample.name, dict(sample.labels), sample.value])
            print(json.dumps(out))
            """
        let run = try await PythonTools.run(venv.appendingPathComponent("bin/python").path, ["-c", script], stdin: Self.output)
        #expect(run.status == 0, "\(run.output)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[Any]])
        let rows = parsed.map { row in
            "\(row[0]) \(row[1]) \(row[2]) \((row[3] as? [String: String]) ?? [:]) \((row[4] as? Double) ?? -1)"
        }
        #expect(rows == [
            "roomsync_drift_rooms gauge roomsync_drift_rooms [\"kind\": \"changed\"] 1.0",
            "roomsync_drift_rooms gauge roomsync_drift_rooms [\"kind\": \"deleted\"] 0.0",
            "roomsync_drift_rooms gauge roomsync_drift_rooms [\"kind\": \"unmanaged\"] 2.0",
            "roomsync_drift_rooms gauge roomsync_drift_rooms [\"kind\": \"accepted\"] 1.0",
            "roomsync_managed_rooms gauge roomsync_managed_rooms [:] 2.0",
            "roomsync_drift_last_run_timestamp_seconds gauge roomsync_drift_last_run_timestamp_seconds [:] 1764000000.25",
        ])
    }
}

/// The text exposition format's grammar (Prometheus' "Exposition formats", text format 0.0.4), for when its
/// reference parser cannot be installed: every line a `# HELP`, `# TYPE`, other comment or sample; names and
/// label names of the allowed characters; label values quoted with escapes; values Go floats; a family's TYPE
/// once and before its samples; a family's samples together; and a newline at the end.
enum ExpositionGrammar {
    static var help: Regex<(Substring, name: Substring)> { #/# HELP (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?:[^\\\n]|\\\\|\\n)*/# }
    static var type: Regex<(Substring, name: Substring)> { #/# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?:counter|gauge|histogram|summary|untyped)/# }
    static var sample: Regex<(Substring, name: Substring, value: Substring)> { #/(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*")*,?)?\})? (?<value>[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+|Inf|NaN))(?: -?[0-9]+)?/# }

    static func problems(_ text: String) -> [String] {
        var problems: [String] = []
        if !text.hasSuffix("\n") { problems.append("the text does not end with a newline") }
        var typed = Set<String>()
        var sampled = Set<String>()
        var current: String?
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let line = String(line)
            if let match = line.wholeMatch(of: type) {
                let family = String(match.name)
                if !typed.insert(family).inserted { problems.append("line \(number + 1): second TYPE for \(family)") }
                if sampled.contains(family) { problems.append("line \(number + 1): TYPE for \(family) after its samples") }
            } else if line.wholeMatch(of: help) != nil || (line.hasPrefix("#") && !line.hasPrefix("# HELP") && !line.hasPrefix("# TYPE")) {
                continue
            } else if let match = line.wholeMatch(of: sample) {
                let family = String(match.name)
                if family != current, sampled.contains(family) {
                    problems.append("line \(number + 1): samples of \(family) are not together")
                }
                current = family
                sampled.insert(family)
            } else if !line.isEmpty {
                problems.append("line \(number + 1): not a comment or a sample: \(line)")
            }
        }
        return problems
    }
}
