@preconcurrency import Rainbow

/// `--format` of plan and drift.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text
    case json
    case markdown
}

/// Terminal colours, used only when the output is a terminal and colour is not turned off. The decision is the
/// palette's, made once per command, so renderers and tests never depend on process-wide switches; the escape
/// codes come from Rainbow.
public struct Palette: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Rainbow only colours when its own process-wide switches say so; the CLI calls this once, at start-up,
    /// when it has decided to colour.
    public static func enableTerminalColours() {
        Rainbow.outputTarget = .console
        Rainbow.enabled = true
    }

    private func paint(_ text: String, _ color: NamedColor?, bold: Bool = false) -> String {
        guard enabled else { return text }
        let segment = Rainbow.Segment(text: text, color: color.map { .named($0) }, styles: bold ? [.bold] : nil)
        return Rainbow.generateString(for: Rainbow.Entry(segments: [segment]))
    }

    public func green(_ text: String) -> String { paint(text, .green) }
    public func yellow(_ text: String) -> String { paint(text, .yellow) }
    public func red(_ text: String) -> String { paint(text, .red) }
    public func cyan(_ text: String) -> String { paint(text, .cyan) }
    public func bold(_ text: String) -> String { paint(text, nil, bold: true) }
}
