import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    /// SPEC section 9: every check a first real run needs, one line each with the fix. Changes nothing: no state
    /// is written, no lock taken, only `gettoken` and `list` are called.
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check everything a first real run needs; change nothing.",
            discussion: """
                One line per check: ok, warn or FAIL, what was checked and, for a failure, the fix. Checks the \
                manifests, the target, gettoken (corp id and secret), the meeting-room API permission (48002) and \
                the trusted IP of this address (60020), list, the state (readable, bound to this target, not \
                locked, or who holds it; a file or a postgres:// database alike, a database bounded by --timeout \
                and at most 10 s) and the proxy when one is set. Exit status 0 when nothing failed, 1 otherwise.

                Examples:
                  roomsync doctor
                  roomsync doctor rooms/ --proxy http://proxy.example.com:3128
                """)
        @OptionGroup var language: LanguageOptions

        @Argument(help: "Manifest files or directories.")
        var paths: [String] = ["rooms.yaml"]

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var projectOptions: ProjectOptions

        @Flag(help: "Say more about what happens.")
        var verbose = false

        func run() async throws {
            if projectOptions.isActive {
                try projectOptions.refuseConflicts(pathsGiven: paths != ["rooms.yaml"])
                return try await ProjectRunner.run(command: "doctor", options: projectOptions, format: .text)
            }
            let report = await DoctorUseCase.run(
                DoctorInput(manifestPaths: paths, target: doctorTarget, state: stateOptions.location, timeoutSeconds: target.timeout))
            Console.out(report.checks.map(\.line).joined(separator: "\n") + "\n")
            if report.failures > 0 {
                Console.err(Catalogue.text(.doctorFailed, ["count": report.failures]))
                throw ExitCode(report.exitStatus)
            }
        }

        /// The target the options name, resolved without connecting anywhere.
        private var doctorTarget: DoctorInput.Target {
            do {
                switch try target.resolve(verbose: verbose) {
                case .embedded(let note): return .embedded(dataFile: target.sandboxData, credentialsMissing: note != nil)
                case .wecom(let configuration, let stateTarget): return .wecom(configuration, stateTarget)
                }
            } catch {
                return .unresolved(error)
            }
        }
    }
}
