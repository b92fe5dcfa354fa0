import ArgumentParser
import RoomSyncEngine

/// `--target`, `--exclude`, `--city`, `--building` on plan, apply and drift (SPEC 11).
struct SubsetOptions: ParsableArguments {
    @Option(name: .customLong("target"), help: "Cover only the manifest keys that match this glob (repeatable): `sz-*`.")
    var targets: [String] = []

    @Option(name: .customLong("exclude"), help: "Leave out the manifest keys that match this glob (repeatable).")
    var excludes: [String] = []

    @Option(help: "Cover only the rooms in this city (and, with --prune, the unmanaged rooms there).")
    var city: String?

    @Option(help: "Cover only the rooms in this building of --city.")
    var building: String?

    func validate() throws {
        if building != nil, city == nil {
            throw ValidationError("--building needs --city: a building's name is only unique within its city")
        }
        for pattern in targets + excludes where pattern.isEmpty {
            throw ValidationError("--target and --exclude need a pattern, e.g. 'sz-*'")
        }
    }

    var subset: Subset { Subset(targets: targets, excludes: excludes, city: city, building: building) }
}
