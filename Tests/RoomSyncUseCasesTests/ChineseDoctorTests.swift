import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncTestSupport
import RoomSyncUseCases
import Testing

/// SPEC section 12: doctor's report in Chinese, as a golden file (RECORD_GOLDEN=1 re-records it). The scratch
/// folder's path, which changes every run, is written as `$DIR`.
@Suite struct ChineseDoctorTests {
    @Test func doctorGolden() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try UseCaseWorkspace(directory)
            var lines: [String] = []
            try await Language.$current.withValue(.zh) {
                for (manifest, credentialsMissing) in [(twoRooms, false), ("version: 1\nrooms:\n  a: {name: A}\n", true)] {
                    try workspace.write(manifest)
                    let report = await DoctorUseCase.run(
                        DoctorInput(
                            manifestPaths: [workspace.manifestPath],
                            target: .embedded(
                                dataFile: directory.appendingPathComponent("sandbox.json").path, credentialsMissing: credentialsMissing),
                            state: StateLocation(state: workspace.statePath), timeoutSeconds: 60))
                    lines += report.checks.map(\.line) + [""]
                }
            }
            let output = lines.joined(separator: "\n").replacingOccurrences(of: directory.path, with: "$DIR")
            let mismatch = goldenMismatch(output, named: "doctor.zh.text")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }
}
