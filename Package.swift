// swift-tools-version:6.0
import PackageDescription

/// One settings array shared by every target, so the whole package compiles under the same rules.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "roomsync",
    // macOS 15: `Mutex` (Synchronization), the one lock the code uses.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roomsync", targets: ["roomsync"]),
        .library(name: "RoomSyncCore", targets: ["RoomSyncCore"]),
        .library(name: "RoomSyncEngine", targets: ["RoomSyncEngine"]),
        .library(name: "RoomSyncPostgres", targets: ["RoomSyncPostgres"]),
        .library(name: "RoomSyncUseCases", targets: ["RoomSyncUseCases"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Already in the graph through AsyncHTTPClient; named for TLSConfiguration (--ca-file) and the tests' HTTPS
        // server.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already in the graph through Hummingbird; named so a served sandbox can be shut down gracefully.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libyaml, the system library (Debian `libyaml-dev`); wrapped exactly once, in RoomSyncCore/YAML.
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // glibc's `mallopt` (malloc.h), which the Glibc module does not export; the executable tunes the allocator.
        .systemLibrary(name: "CMalloc"),
        // The commit `--version` names: `scripts/package.sh` sets ROOMSYNC_COMMIT for the build; without it, "unknown".
        .target(
            name: "CBuildInfo",
            cSettings: Context.environment["ROOMSYNC_COMMIT"].map { [.define("ROOMSYNC_COMMIT", to: $0)] } ?? []
        ),
        // Manifests, diagnostics, the room model and the `MeetingRoomAPI` seam. No network dependencies, so
        // `validate` and the engine's core stay cheap to build and test.
        .target(
            name: "RoomSyncCore",
            dependencies: ["CLibYAML"],
            swiftSettings: swiftSettings
        ),
        // The real WeCom client over AsyncHTTPClient.
        .target(
            name: "WeComAPI",
            dependencies: [
                "RoomSyncCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                // `Data(buffer:)`: an answer's bytes become `Data` without a copy (a list of 100,000 rooms is 21 MB).
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The sandbox: one store, embedded in process or served over HTTP by Hummingbird.
        .target(
            name: "RoomSyncSandbox",
            dependencies: [
                "RoomSyncCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Chinese in pinyin for export's keys, phrase by phrase: a table the build generates from pypinyin's data
        // (ThirdParty/pypinyin) and compiles in, so the single-file binary needs no resource folder.
        .target(
            name: "RoomSyncPinyin",
            swiftSettings: swiftSettings,
            plugins: ["PinyinTablePlugin"]
        ),
        .executableTarget(name: "PinyinTableGenerator", swiftSettings: swiftSettings),
        .plugin(name: "PinyinTablePlugin", capability: .buildTool(), dependencies: ["PinyinTableGenerator"]),
        // Plan, apply, drift, import/export over the state file.
        .target(
            name: "RoomSyncEngine",
            dependencies: ["RoomSyncCore", "RoomSyncPinyin", .product(name: "Rainbow", package: "Rainbow")],
            swiftSettings: swiftSettings
        ),
        // The postgres state backend (SPEC 8) behind the engine's `StateStore` seam, on postgres-nio.
        .target(
            name: "RoomSyncPostgres",
            dependencies: [
                "RoomSyncCore", "RoomSyncEngine",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // What each command does (apply, plan, drift, doctor, export, import, state edits), over the engine and
        // the backends: plain inputs in, a reporter/confirmation seam, a typed outcome out; nothing here prints.
        .target(
            name: "RoomSyncUseCases",
            dependencies: ["RoomSyncCore", "RoomSyncEngine", "WeComAPI", "RoomSyncSandbox", "RoomSyncPostgres"],
            swiftSettings: swiftSettings
        ),
        // The thin executable: ArgumentParser commands over the libraries above.
        .executableTarget(
            name: "roomsync",
            dependencies: [
                "RoomSyncCore", "RoomSyncEngine", "RoomSyncUseCases", "WeComAPI", "RoomSyncSandbox", "RoomSyncPostgres", "CMalloc",
                "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every test may use and a Core test needs: golden files, temporary folders, manifest invariants, Python
        // tools, the seeded generator. Only RoomSyncCore, so a Core test links no network stack.
        .target(
            name: "RoomSyncCoreTestSupport",
            dependencies: ["RoomSyncCore"],
            swiftSettings: swiftSettings
        ),
        // The network support, which re-exports RoomSyncCoreTestSupport: a served sandbox on a loopback port, fake
        // WeCom, proxies, TLS fixtures, raw HTTP, the postgres cluster, the state store contract, the built binary.
        .target(
            name: "RoomSyncTestSupport",
            dependencies: [
                "RoomSyncCore", "RoomSyncCoreTestSupport", "RoomSyncEngine", "RoomSyncSandbox", "WeComAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoomSyncCoreTests",
            dependencies: ["RoomSyncCore", "RoomSyncCoreTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeComAPITests",
            dependencies: [
                "WeComAPI", "RoomSyncSandbox", "RoomSyncTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoomSyncEngineTests",
            dependencies: ["RoomSyncEngine", "RoomSyncSandbox", "RoomSyncTestSupport"],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoomSyncSandboxTests",
            dependencies: ["RoomSyncSandbox", "WeComAPI", "RoomSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoomSyncPostgresTests",
            dependencies: ["RoomSyncPostgres", "RoomSyncEngine", "RoomSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoomSyncPinyinTests",
            dependencies: ["RoomSyncPinyin", "RoomSyncCoreTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoomSyncUseCasesTests",
            dependencies: ["RoomSyncUseCases", "RoomSyncEngine", "RoomSyncSandbox", "RoomSyncTestSupport"],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["RoomSyncTestSupport", "RoomSyncCore", "RoomSyncEngine"],
            swiftSettings: swiftSettings
        ),
    ]
)
