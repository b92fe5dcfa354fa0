import Foundation
import RoomSyncCore

/// `--format` of validate (SPEC section 5): the compiler-style text, or what CI systems read.
public enum ValidationFormat: String, Sendable, CaseIterable {
    case text
    case json
    case github
    case sarif
}

/// Renders the outcome of reading manifests for `validate`: JSON for scripts, GitHub workflow commands so errors
/// land on the pull request's lines, and SARIF 2.1.0 for code scanning.
public enum ValidationRenderer {
    /// What `validate --format text` prints on stdout when the manifests are valid (diagnostics go to stderr).
    public static func validLine(_ result: ManifestReadResult, in language: Language = Language.current) -> String {
        let rooms = result.rooms.count, files = result.files.count
        return Catalogue.text(.validSummary, [
            "rooms": Catalogue.text(rooms == 1 ? .roomCountOne : .roomCountMany, ["count": rooms], in: language),
            "files": Catalogue.text(files == 1 ? .fileCountOne : .fileCountMany, ["count": files], in: language),
        ], in: language)
    }

    /// The machine-readable forms; `text` is printed by the command itself (diagnostics on stderr).
    ///
    /// With `relativeTo` (the working directory), absolute paths under it are written relative to it in the
    /// `github` and `sarif` forms: annotations and code scanning place files by their path in the repository.
    public static func render(
        _ result: ManifestReadResult, format: ValidationFormat, toolVersion: String, relativeTo base: String? = nil
    ) -> String {
        var result = result
        if let base, format == .github || format == .sarif {
            for index in result.diagnostics.indices {
                if let file = result.diagnostics[index].location?.file {
                    result.diagnostics[index].location?.file = relative(file, to: base)
                }
            }
        }
        switch format {
        case .text: return result.diagnostics.map { $0.description + "\n" }.joined() + (result.hasErrors ? "" : validLine(result) + "\n")
        case .json: return json(result)
        case .github: return github(result)
        case .sarif: return sarif(result, toolVersion: toolVersion)
        }
    }

    /// `path` relative to `base` when it lies under it; otherwise unchanged.
    static func relative(_ path: String, to base: String) -> String {
        var base = base
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        guard path.hasPrefix("/"), base.hasPrefix("/") else { return path }
        let prefix = base == "/" ? "/" : base + "/"
        guard path.hasPrefix(prefix), path.count > prefix.count else { return path }
        return String(path.dropFirst(prefix.count))
    }

    // MARK: - JSON

    struct JSONValidation: Encodable {
        struct Item: Encodable {
            var file: String?
            var line: Int?
            var column: Int?
            var severity: String
            var message: String

            // Explicit so that a diagnostic without a place says `null` rather than leaving the keys out.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(file, forKey: .file)
                try container.encode(line, forKey: .line)
                try container.encode(column, forKey: .column)
                try container.encode(severity, forKey: .severity)
                try container.encode(message, forKey: .message)
            }

            enum CodingKeys: String, CodingKey { case file, line, column, severity, message }
        }
        var format_version = 1
        var valid: Bool
        var rooms: Int
        var files: Int
        var diagnostics: [Item]
    }

    static func json(_ result: ManifestReadResult) -> String {
        encodeJSON(JSONValidation(
            valid: !result.hasErrors, rooms: result.rooms.count, files: result.files.count,
            diagnostics: result.diagnostics.map {
                .init(file: $0.location?.file, line: $0.location?.line, column: $0.location?.column,
                      severity: $0.severity.rawValue, message: $0.text.rendered(in: .en))
            }))
    }

    // MARK: - GitHub workflow commands

    /// One `::error file=F,line=L,col=C::MESSAGE` per diagnostic (warnings as `::warning`, notes as `::notice`),
    /// escaped as the runner expects, then the plain summary.
    static func github(_ result: ManifestReadResult) -> String {
        var out = ""
        for diagnostic in result.diagnostics {
            let command =
                switch diagnostic.severity {
                case .error: "error"
                case .warning: "warning"
                case .note: "notice"
                }
            var properties = ""
            if let location = diagnostic.location {
                properties = " file=\(escapeProperty(location.file)),line=\(location.line),col=\(location.column)"
            }
            out += "::\(command)\(properties)::\(escapeData(diagnostic.text.rendered(in: .en)))\n"
        }
        // Workflow commands are read by GitHub's runner and the same in every language.
        if !result.hasErrors { out += validLine(result, in: .en) + "\n" }
        return out
    }

    /// The runner's escaping of a command's message (actions/toolkit `escapeData`).
    static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// The runner's escaping of a property value (actions/toolkit `escapeProperty`).
    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    // MARK: - SARIF 2.1.0

    /// The rules results refer to: one per severity, since diagnostics are messages rather than numbered checks.
    static let rules: [(id: String, severity: Diagnostic.Severity, description: String)] = [
        ("roomsync/manifest-error", .error, "The manifest breaks a rule of the roomsync manifest format."),
        ("roomsync/manifest-warning", .warning, "The manifest is valid but probably not what was meant."),
        ("roomsync/manifest-note", .note, "Additional information about the manifest."),
    ]

    struct SARIFLog: Encodable {
        struct Run: Encodable {
            var tool: Tool
            var results: [Result]
        }
        struct Tool: Encodable { var driver: Driver }
        struct Driver: Encodable {
            var name = "roomsync"
            var version: String
            var rules: [Rule]
        }
        struct Rule: Encodable {
            var id: String
            var name: String
            var shortDescription: Message
            var defaultConfiguration: Configuration
        }
        struct Configuration: Encodable { var level: String }
        struct Message: Encodable { var text: String }
        struct Result: Encodable {
            var ruleId: String
            var ruleIndex: Int
            var level: String
            var message: Message
            /// GitHub code scanning refuses a result without a location; the only diagnostic without one is "no
            /// manifest given", which the CLI never produces (PATH defaults to rooms.yaml).
            var locations: [Location]?
        }
        struct Location: Encodable { var physicalLocation: PhysicalLocation }
        struct PhysicalLocation: Encodable {
            var artifactLocation: ArtifactLocation
            var region: Region
        }
        struct ArtifactLocation: Encodable { var uri: String }
        struct Region: Encodable {
            var startLine: Int
            var startColumn: Int
        }

        var schema = "https://json.schemastore.org/sarif-2.1.0.json"
        var version = "2.1.0"
        var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case version, runs
        }
    }

    static func level(_ severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    static func sarif(_ result: ManifestReadResult, toolVersion: String) -> String {
        let rules = rules.map { rule in
            SARIFLog.Rule(
                id: rule.id, name: rule.id.split(separator: "/").last.map(String.init) ?? rule.id,
                shortDescription: .init(text: rule.description), defaultConfiguration: .init(level: level(rule.severity)))
        }
        let results = result.diagnostics.map { diagnostic in
            let index = Self.rules.firstIndex { $0.severity == diagnostic.severity }!
            return SARIFLog.Result(
                ruleId: Self.rules[index].id, ruleIndex: index, level: level(diagnostic.severity),
                // SPEC 12: machine formats are the same in every language.
                message: .init(text: diagnostic.text.rendered(in: .en)),
                locations: diagnostic.location.map { location in
                    [SARIFLog.Location(physicalLocation: .init(
                        artifactLocation: .init(uri: artifactURI(location.file)),
                        region: .init(startLine: location.line, startColumn: location.column)))]
                })
        }
        return encodeJSON(SARIFLog(runs: [.init(
            tool: .init(driver: .init(version: toolVersion, rules: rules)), results: results)]))
    }

    /// Relative paths stay relative (code scanning resolves them against the checkout); absolute ones become
    /// `file://` URIs. Both are percent-encoded as URI references.
    static func artifactURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }
}
