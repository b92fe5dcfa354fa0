import Foundation
import Testing

@testable import RoomSyncCore

/// SPEC 11: `roomsync.yaml`, read through the libyaml wrapper with located errors like a manifest.
@Suite struct ProjectFileTests {
    static func decode(_ text: String) -> (ProjectFile?, [String]) {
        let (project, diagnostics) = ProjectFile.decode(Array(text.utf8), file: "roomsync.yaml")
        return (project, diagnostics.map(\.description))
    }

    @Test func aValidFileHasItsTargetsWithTheirDefaults() throws {
        let (project, diagnostics) = Self.decode("""
            version: 1
            targets:
              hq:
                corp_id: ww0123456789abcdef
                secret_env: WECOM_SECRET_HQ
                manifests: [rooms/hq]
                state: postgres://roomsync@db.example.com:5432/roomsync?sslmode=require
                workspace: hq
                mass_delete_percent: 10
              shenzhen-sub:
                corp_id: ww9876543210fedcba
                secret_env: WECOM_SECRET_SZ
                manifests: [rooms/shenzhen]

            """)
        #expect(diagnostics == [])
        let targets = try #require(project?.targets)
        #expect(targets.map(\.name) == ["hq", "shenzhen-sub"])
        #expect(targets[0].usesPostgres)
        #expect(targets[0].massDeletePercent == 10)
        #expect(targets[1].statePath == ".roomsync/shenzhen-sub/state.json")
        #expect(!targets[1].usesPostgres)
        #expect(targets[1].endpoint == nil)
    }

    @Test(arguments: [
        ("version: 2\ntargets: {a: {corp_id: w, secret_env: S, manifests: [r]}}\n",
         "roomsync.yaml:1:10: error: unsupported project version '2'; this roomsync reads version 1"),
        ("version: 1\ntargets: {}\n", "roomsync.yaml:2:10: error: 'targets' must be a mapping of target names to corps, with at least one"),
        ("version: 1\ntargets: {Bad Name: {corp_id: w, secret_env: S, manifests: [r]}}\n",
         "roomsync.yaml:2:11: error: invalid target name 'Bad Name': use lowercase letters, digits, '.', '_' and '-'"),
        ("version: 1\ntargets:\n  a: {corp_id: w, secret_env: S, manifests: [r]}\n  b: {corp_id: v, secret_env: T, manifests: [s], state: .roomsync/a/state.json}\n",
         "roomsync.yaml:4:3: error: targets 'a' and 'b' share the state .roomsync/a/state.json; give each its own"),
        ("version: 1\ntargets:\n  a: {corp_id: w, secret_env: S, manifests: [r], endpoint: qyapi.weixin.qq.com}\n",
         "roomsync.yaml:3:60: error: 'endpoint' of target 'a' must be an http(s) URL"),
        ("version: 1\nversion: 1\n", "roomsync.yaml:2:1: error: duplicate key 'version'"),
    ])
    func mistakesAreLocated(text: String, expected: String) {
        let (project, diagnostics) = Self.decode(text)
        #expect(project == nil)
        #expect(diagnostics.contains { $0.hasPrefix(expected) }, "\(diagnostics)")
    }
}
