import Foundation

/// `roomsync.yaml` (SPEC 11): the corps one repository manages, each with its own credentials, manifests and state.
public struct ProjectFile: Sendable, Hashable {
    public struct Target: Sendable, Hashable {
        public var name: String
        public var corpID: String
        /// The environment variable that holds this corp's secret (never the secret itself).
        public var secretEnv: String
        /// Manifest files or folders, relative to the project file's folder.
        public var manifests: [String]
        public var endpoint: String?
        /// Default `.roomsync/NAME/state.json`.
        public var state: String?
        /// Default the target's name (postgres states only).
        public var workspace: String?
        /// This corp's mass-delete guard, in percent (default 30).
        public var massDeletePercent: Int?
        public var origin: SourceLocation

        /// The state this target uses: its own, never another target's.
        public var statePath: String { state ?? ".roomsync/\(name)/state.json" }

        /// Whether the state is a database, where `workspace` applies.
        public var usesPostgres: Bool { statePath.hasPrefix("postgres://") || statePath.hasPrefix("postgresql://") }
    }

    public var path: String
    public var targets: [Target]

    public static let defaultPath = "roomsync.yaml"

    /// Reads and checks a project file; every problem is a located `Diagnostic`, thrown together.
    public static func read(path: String) throws -> ProjectFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticList([.error(at: nil, LocalizedText(.diagProjectCannotRead, ["path": path]))])
        }
        let (project, diagnostics) = decode(Array(data), file: path)
        guard let project, diagnostics.allSatisfy({ $0.severity != .error }) else { throw DiagnosticList(diagnostics) }
        return project
    }

    static let targetFields = ["corp_id", "secret_env", "manifests", "endpoint", "state", "workspace", "mass_delete_percent"]

    /// Decodes `bytes` (the file `file`): the project, or `nil` with at least one error.
    public static func decode(_ bytes: [UInt8], file: String) -> (ProjectFile?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        func at(_ mark: YAMLMark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        func error(_ mark: YAMLMark, _ text: LocalizedText) { diagnostics.append(.error(at: at(mark), text)) }

        let document = YAMLParser.parse(bytes)
        for problem in document.errors {
            if let related = problem.relatedMark {
                error(problem.mark, LocalizedText(.diagYAMLFirstDefined, ["origin": "\(file):\(related)"], keyed: ["message": problem.text]))
            } else {
                error(problem.mark, problem.text)
            }
        }
        guard document.errors.isEmpty else { return (nil, diagnostics) }
        guard let root = document.root, let top = root.mapping else {
            diagnostics.append(.error(
                at: SourceLocation(file: file, line: 1, column: 1), LocalizedText(.diagProjectNotMapping)))
            return (nil, diagnostics)
        }
        var version: YAMLNode?
        var targetsNode: YAMLNode?
        for pair in top {
            switch pair.key.text {
            case "version": version = pair.value
            case "targets": targetsNode = pair.value
            default: error(pair.key.mark, LocalizedText(.diagProjectUnknownField, ["name": pair.key.text ?? "?"]))
            }
        }
        if let version {
            if version.text != "1" || version.scalar?.style != .plain {
                error(version.mark, LocalizedText(.diagProjectUnsupportedVersion, ["version": version.text ?? "?"]))
            }
        } else {
            error(root.mark, LocalizedText(.diagProjectMissingVersion))
        }
        guard let targetsNode else {
            error(root.mark, LocalizedText(.diagProjectMissingTargets))
            return (nil, diagnostics)
        }
        guard let targetPairs = targetsNode.mapping, !targetPairs.isEmpty else {
            error(targetsNode.mark, LocalizedText(.diagProjectTargetsNotMapping))
            return (nil, diagnostics)
        }
        var targets: [Target] = []
        for pair in targetPairs {
            let name = pair.key.text ?? ""
            guard ManifestDecoder.isValidKey(name) else {
                error(pair.key.mark, LocalizedText(.diagProjectInvalidTargetName, ["name": name]))
                continue
            }
            guard let fields = pair.value.mapping else {
                error(pair.value.mark, LocalizedText(.diagProjectTargetNotMapping, ["name": name]))
                continue
            }
            var values: [String: YAMLNode] = [:]
            for field in fields {
                let key = field.key.text ?? ""
                guard targetFields.contains(key) else {
                    error(field.key.mark, LocalizedText(.diagProjectUnknownTargetField, ["field": key, "name": name, "known": targetFields.joined(separator: ", ")]))
                    continue
                }
                values[key] = field.value
            }
            func string(_ key: String) -> String? {
                guard let node = values[key] else { return nil }
                guard let text = node.scalar?.value, !text.isEmpty, node.kind == .scalar else {
                    error(node.mark, LocalizedText(.diagProjectFieldNotString, ["field": key, "name": name]))
                    return nil
                }
                return text
            }
            for required in ["corp_id", "secret_env", "manifests"] where values[required] == nil {
                error(pair.key.mark, LocalizedText(.diagProjectTargetMissing, ["name": name, "field": required]))
            }
            let corpID = string("corp_id")
            let secretEnv = string("secret_env")
            if let secretEnv, let node = values["secret_env"], !isEnvironmentName(secretEnv) {
                error(node.mark, LocalizedText(.diagProjectSecretEnvNotName, ["name": name, "value": secretEnv]))
            }
            var manifests: [String]?
            if let node = values["manifests"] {
                if let list = node.sequence, !list.isEmpty, list.allSatisfy({ $0.kind == .scalar && !($0.text ?? "").isEmpty }) {
                    manifests = list.map { $0.text ?? "" }
                } else {
                    error(node.mark, LocalizedText(.diagProjectManifestsNotList, ["name": name]))
                }
            }
            let endpoint = string("endpoint")
            if let endpoint, let node = values["endpoint"], !(endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://")) {
                error(node.mark, LocalizedText(.diagProjectEndpointNotURL, ["name": name]))
            }
            var percent: Int?
            if let node = values["mass_delete_percent"] {
                if node.scalar?.style == .plain, let value = Int(node.text ?? ""), (0...100).contains(value) {
                    percent = value
                } else {
                    error(node.mark, LocalizedText(.diagProjectMassDeletePercent, ["name": name]))
                }
            }
            if let corpID, let secretEnv, let manifests {
                targets.append(
                    Target(
                        name: name, corpID: corpID, secretEnv: secretEnv, manifests: manifests, endpoint: endpoint,
                        state: string("state"), workspace: string("workspace"), massDeletePercent: percent,
                        origin: at(pair.key.mark)))
            }
        }
        // Two targets on one state would take each other's lock and bind it to two corps.
        var stateOwners: [String: String] = [:]
        for target in targets {
            let key = target.statePath + (target.usesPostgres ? "#" + (target.workspace ?? target.name) : "")
            if let other = stateOwners[key] {
                diagnostics.append(.error(at: target.origin, LocalizedText(.diagProjectSharedState, ["first": other, "second": target.name, "path": target.statePath])))
            }
            stateOwners[key] = target.name
        }
        guard diagnostics.allSatisfy({ $0.severity != .error }) else { return (nil, diagnostics) }
        return (ProjectFile(path: file, targets: targets), diagnostics)
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
