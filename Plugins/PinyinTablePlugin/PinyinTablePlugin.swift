import Foundation
import PackagePlugin

/// Generates the pinyin table RoomSyncPinyin compiles in (export's keys) from the vendored pypinyin data, so the
/// data stays the upstream's, reproducibly cut down, and the single-file binary carries the table with no resource
/// folder beside it.
@main
struct PinyinTablePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let data = context.package.directoryURL.appending(path: "ThirdParty").appending(path: "pypinyin")
        let characters = data.appending(path: "characters.txt")
        let phrases = data.appending(path: "phrases.txt")
        let output = context.pluginWorkDirectoryURL.appending(path: "PinyinTable+Generated.swift")
        return [
            .buildCommand(
                displayName: "Generating the pinyin table from ThirdParty/pypinyin",
                executable: try context.tool(named: "PinyinTableGenerator").url,
                arguments: [characters.path, phrases.path, output.path],
                inputFiles: [characters, phrases],
                outputFiles: [output]
            )
        ]
    }
}
