import CBuildInfo

/// What `roomsync --version` prints: the release number and the commit the binary was built from (SPEC 13).
enum BuildInfo {
    /// The one place the release number lives. `scripts/package.sh` names the tarball after the built binary's
    /// `--version`, and the release workflow checks the tag against it.
    static let version = "0.1.0"

    /// Injected by `scripts/package.sh` (`ROOMSYNC_COMMIT`); "unknown" for a plain `swift build`.
    static let commit = String(cString: roomsync_build_commit())

    static var versionLine: String { "\(version) (commit \(commit))" }
}
