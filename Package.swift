// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "podsim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "podsim", targets: ["podsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // What every process and tool shares, with no server or client dependency: bug switches,
        // timings, sandbox kinds, UI chunks, JSON values, SSE framing and parsing, the bodies of
        // the pod and control APIs, child configurations and the clock.
        .target(name: "PodsimModel"),
        // A C call into the built-in SQLite that Swift cannot make (a variadic configuration call).
        .target(name: "CSQLiteOptions"),
        // The shared SQLite store (SQLite built in): schema, records, run queue, chunk log.
        // Depends on nothing of ours.
        .target(name: "PodsimStore", dependencies: [
            "CSQLiteOptions",
            .product(name: "SQLiteNIO", package: "sqlite-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // HTTP clients of podsim's servers: plain exchanges and SSE stream watchers.
        .target(name: "PodsimClient", dependencies: [
            "PodsimModel",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // What every podsim server process shares: unbuffered log lines, the parent watch, the
        // loopback address, and the HTTP server limits.
        .target(name: "PodsimServer", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),
        // The mock OpenAI-compatible provider.
        .target(name: "PodsimMockAI", dependencies: [
            "PodsimModel", "PodsimServer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // One simulated studio pod.
        .target(name: "PodsimPod", dependencies: [
            "PodsimStore", "PodsimModel", "PodsimServer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The link daemon standing in for a user's `deco link`.
        .target(name: "PodsimLink", dependencies: [
            "PodsimModel", "PodsimClient", "PodsimServer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The coordinator: launches and supervises the processes of one cluster.
        .target(name: "PodsimCluster", dependencies: [
            "PodsimStore", "PodsimModel", "PodsimClient", "PodsimServer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // A run's recorded history: the event format of `history.jsonl`. Depends on nothing.
        .target(name: "PodsimHistory"),
        // Checkers: pure functions from a history to a verdict (delivery, cross-pod, termination, …).
        .target(name: "PodsimCheckers", dependencies: ["PodsimHistory"]),
        // The self-contained HTML timeline of a history.
        .target(name: "PodsimTimeline", dependencies: ["PodsimHistory", "PodsimCheckers"]),
        // The scenario language and its runner.
        .target(name: "PodsimScenario", dependencies: [
            "PodsimCluster", "PodsimModel", "PodsimClient", "PodsimServer", "PodsimStore",
            "PodsimHistory", "PodsimCheckers", "PodsimTimeline",
            .product(name: "Yams", package: "Yams"),
        ]),
        // `podsim bench`: boot, delivery latency, queue throughput, fan-out and memory measurements.
        .target(name: "PodsimBench", dependencies: [
            "PodsimCluster", "PodsimModel", "PodsimClient", "PodsimServer", "PodsimStore", "PodsimScenario",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The CLI: one command per subcommand; every child role re-executes this binary.
        .executableTarget(name: "podsim", dependencies: [
            "PodsimModel", "PodsimServer", "PodsimMockAI", "PodsimPod", "PodsimLink", "PodsimCluster", "PodsimScenario",
            "PodsimBench", "PodsimHistory", "PodsimCheckers", "PodsimTimeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "PodsimModelTests", dependencies: ["PodsimModel"]),
        .testTarget(name: "PodsimStoreTests", dependencies: ["PodsimStore", "PodsimModel", .product(name: "SQLiteNIO", package: "sqlite-nio")]),
        .testTarget(name: "PodsimPodTests", dependencies: [
            "PodsimPod", "PodsimModel", "PodsimStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "PodsimMockAITests", dependencies: [
            "PodsimMockAI", "PodsimModel",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "PodsimScenarioTests", dependencies: ["PodsimScenario", "PodsimModel", "PodsimClient", "PodsimCluster"]),
        .testTarget(name: "PodsimCheckersTests", dependencies: ["PodsimCheckers", "PodsimHistory"]),
        .testTarget(name: "PodsimTimelineTests", dependencies: ["PodsimTimeline", "PodsimCheckers", "PodsimHistory"]),
        .testTarget(name: "PodsimEndToEndTests", dependencies: [
            "PodsimCluster", "PodsimModel", "PodsimClient", "PodsimStore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Yams", package: "Yams"),
        ]),
    ]
)
