import ArgumentParser
import Foundation
import RoomSyncCore

/// `--lang zh|en` (SPEC section 12), on every command. The value is checked by `Language.choose` once the command
/// is parsed, with `ROOMSYNC_LANG` and the locale, so a bad value in either place is one clear error line.
struct LanguageOptions: ParsableArguments {
    @Option(name: .customLong("lang"), help: "The language roomsync speaks: zh or en (also ROOMSYNC_LANG; else zh under a zh locale).")
    var lang: String?
}

/// A command that takes `--lang`: every leaf command, so the entry point finds the flag whichever one runs.
protocol LanguageChoosing {
    var language: LanguageOptions { get }
}

extension RoomSyncCommand.Validate: LanguageChoosing {}
extension RoomSyncCommand.Plan: LanguageChoosing {}
extension RoomSyncCommand.Apply: LanguageChoosing {}
extension RoomSyncCommand.Drift: LanguageChoosing {}
extension RoomSyncCommand.Import: LanguageChoosing {}
extension RoomSyncCommand.Export: LanguageChoosing {}
extension RoomSyncCommand.Schema: LanguageChoosing {}
extension RoomSyncCommand.Doctor: LanguageChoosing {}
extension RoomSyncCommand.Sandbox.Serve: LanguageChoosing {}
extension RoomSyncCommand.State.List: LanguageChoosing {}
extension RoomSyncCommand.State.Show: LanguageChoosing {}
extension RoomSyncCommand.State.Move: LanguageChoosing {}
extension RoomSyncCommand.State.Remove: LanguageChoosing {}
extension RoomSyncCommand.State.History: LanguageChoosing {}
extension RoomSyncCommand.State.Pull: LanguageChoosing {}
extension RoomSyncCommand.State.Push: LanguageChoosing {}
