import ArgumentParser
import RoomSyncCore
import RoomSyncEngine

struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: text, json or markdown.")
    var format: OutputFormat = .text

    @Flag(help: "Never colour the output (also NO_COLOR).")
    var noColor = false

    @Flag(help: "Say more about what happens.")
    var verbose = false
}

extension OutputFormat: ExpressibleByArgument {}
