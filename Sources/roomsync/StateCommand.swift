import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

extension RoomSyncCommand {
    struct State: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "state",
            abstract: "Inspect and edit the state file.",
            discussion: """
                Examples:
                  roomsync state list
                  roomsync state show sz-18f-large
                  roomsync state mv sz-18f-large sz-18f-big
                  roomsync state rm sz-18f-large
                  roomsync state history sz-18f-large
                  roomsync state pull > backup.json
                  roomsync state pull --serial 41 > before-the-bad-apply.json
                  roomsync state push backup.json --state postgres://roomsync@db.internal/roomsync
                """,
            subcommands: [List.self, Show.self, Move.self, Remove.self, History.self, Pull.self, Push.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List managed keys, ids and names.")
            @OptionGroup var language: LanguageOptions
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    let state = try await StateUseCases.load(stateOptions.location)
                    var out = ""
                    for (key, entry) in state.rooms.sorted(by: { $0.key < $1.key }) {
                        out += "\(key)\t\(entry.meetingroomID)\t\(entry.applied.name)\(entry.protect ? "\tprotected" : "")\n"
                    }
                    for pending in state.pendingAdds { out += "\(pending.key)\t(pending add)\t\(pending.request.name)\n" }
                    Console.out(out)
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one managed room as JSON.")
            @OptionGroup var language: LanguageOptions
            @Argument var key: String
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    let entry = try await StateUseCases.show(key, in: stateOptions.location)
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    Console.out(String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n")
                }
            }
        }

        struct Move: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "mv", abstract: "Rename a managed key.")
            @OptionGroup var language: LanguageOptions
            @Argument var old: String
            @Argument var new: String
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    try await StateUseCases.move(old, to: new, in: stateOptions.location, notes: ConsoleNotes())
                    Console.out("Moved '\(old)' to '\(new)'.\n")
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rm", abstract: "Stop managing a key; the live room is left alone.")
            @OptionGroup var language: LanguageOptions
            @Argument var key: String
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    try await StateUseCases.remove(key, from: stateOptions.location, notes: ConsoleNotes())
                    Console.out("Removed '\(key)' from the state; the live room is untouched.\n")
                }
            }
        }
    
        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "history", abstract: "Who changed which room when (newest first).")
            @OptionGroup var language: LanguageOptions
            @Argument(help: "Only this manifest key's changes.") var key: String?
            @Option(help: "At most this many entries.") var limit: Int = 50
            @OptionGroup var stateOptions: StateOptions

            func validate() throws {
                guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
            }

            func run() async throws {
                try await reportingErrors {
                    let entries = try await StateUseCases.history(key: key, limit: limit, in: stateOptions.location)
                    Console.out(StateTransfer.render(entries))
                }
            }
        }

        struct Pull: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "pull", abstract: "Print the state, from any backend, as a state file.",
                discussion: """
                    With --serial N, the state as it was when its serial was N (`roomsync state history` shows \
                    the serials), rebuilt from what each later step recorded.
                    """)
            @OptionGroup var language: LanguageOptions
            @Option(help: "Print the state as it was at this serial.") var serial: Int?
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    let data = try await StateUseCases.pull(serial: serial, from: stateOptions.location)
                    Console.out(String(decoding: data, as: UTF8.self))
                }
            }
        }

        struct Push: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "push",
                abstract: "Load a state file into the backend (refused over another state, or a newer one, unless --force).")
            @OptionGroup var language: LanguageOptions
            @Argument(help: "The state file to load.") var file: String
            @Flag(help: "Replace a state of another lineage, or a newer one of the same lineage.") var force = false
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    let pushed = try await StateUseCases.push(
                        file: file, force: force, into: stateOptions.location, notes: ConsoleNotes())
                    Console.out("Pushed \(pushed.rooms.count) room(s) into \(stateOptions.displayName) (serial \(pushed.serial)).\n")
                }
            }
        }
    }
}
