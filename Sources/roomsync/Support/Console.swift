#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

/// Where the command writes: results to stdout, messages to stderr.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Every diagnostic on stderr, in one write: thousands of diagnostics should not mean thousands of syscalls.
    /// The errors among them also go to the project runner's error file when this run is one of its targets.
    static func printDiagnostics(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        FileHandle.standardError.write(Data((diagnostics.map(\.description).joined(separator: "\n") + "\n").utf8))
        recordErrors(diagnostics.filter { $0.severity == .error })
    }

    /// `error`'s lines on stderr (and in the project runner's error file); an error no part of roomsync put into
    /// words is its text after `error:`.
    static func printError(_ error: any Error) {
        printDiagnostics(diagnostics(of: error))
    }

    static func diagnostics(of error: any Error) -> [Diagnostic] {
        (error as? any RenderableError)?.diagnostics ?? RoomSyncError(error).diagnostics
    }

    /// Set by `ProjectRunner` for each target's run: the file the run appends its error lines to, so the project's
    /// report shows them without picking them out of stderr by their text.
    static let errorFileVariable = ProjectUseCase.errorFileVariable

    private static func recordErrors(_ errors: [Diagnostic]) {
        guard !errors.isEmpty, let path = ProcessInfo.processInfo.environment[errorFileVariable], !path.isEmpty,
            let file = FileHandle(forWritingAtPath: path)
        else { return }
        defer { try? file.close() }
        _ = try? file.seekToEnd()
        try? file.write(contentsOf: Data(errors.map { $0.description + "\n" }.joined().utf8))
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Colour only on a terminal, and never when `--no-color` or `NO_COLOR` says so.
    static func palette(noColor: Bool) -> Palette {
        let disabled = noColor || ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } == true
        let palette = Palette(enabled: stdoutIsTerminal && !disabled)
        if palette.enabled { Palette.enableTerminalColours() }
        return palette
    }
}

/// Runs a command body so that every failure ends as one `error: …` line on stderr and exit 1, instead of
/// ArgumentParser's generic rendering or a trap.
func reportingErrors(_ body: () async throws -> Void) async throws {
    try await reportingErrors(onError: { _ in }, body)
}

/// `reportingErrors`, also handing the error's lines to `onError` (for `--notify`).
func reportingErrors(onError: (String) -> Void, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        let diagnostics = Console.diagnostics(of: error)
        onError(diagnostics.map(\.description).joined(separator: "\n"))
        Console.printDiagnostics(diagnostics)
        throw ExitCode(1)
    }
}

/// Runs `body`; a plan the mass-delete or mass re-add guard refused has its rooms printed in `format` on stdout,
/// where the plan would have gone (a pull-request comment made from it lists them), before the error's line.
func listingRefusedRooms<T>(format: OutputFormat, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let refusal as MassChangeRefusal {
        Console.out(PlanRenderer.render(refusal, format: format))
        throw refusal
    }
}

/// A use case's notes, each a `note: …` line on stderr.
struct ConsoleNotes: NoteReporter {
    func note(_ message: String) {
        Console.err(Catalogue.text(.noteLine, ["text": message]))
    }
}
