import Testing

/// The end-to-end suites of the CI and chat integrations (accepted drift and `--notify`, validate's CI formats and
/// the schema, the GitLab pipeline) run one test at a time: each starts servers, binaries and Python, and all of
/// them at once beside the rest of `swift test` starved its timing-sensitive tests of the machine's two cores.
@Suite(.serialized) enum Integrations {}
