import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine

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
                """,
            subcommands: [List.self, Show.self, Move.self, Remove.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List managed keys, ids and names.")
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    let state = try await stateOptions.withStore { try await $0.load() }
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
            @Argument var key: String
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    let state = try await stateOptions.withStore { try await $0.load() }
                    guard let entry = state.rooms[key] else { throw StateEdits.noSuchKey(key) }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    Console.out(String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n")
                }
            }
        }

        struct Move: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "mv", abstract: "Rename a managed key.")
            @Argument var old: String
            @Argument var new: String
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    try await stateOptions.withLockedState(command: "move") { try StateEdits.move(old, to: new, in: &$1) }
                    Console.out("Moved '\(old)' to '\(new)'.\n")
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rm", abstract: "Stop managing a key; the live room is left alone.")
            @Argument var key: String
            @OptionGroup var stateOptions: StateOptions

            func run() async throws {
                try await reportingErrors {
                    try await stateOptions.withLockedState(command: "rm") { try StateEdits.remove(key, from: &$1) }
                    Console.out("Removed '\(key)' from the state; the live room is untouched.\n")
                }
            }
        }
    }
}
