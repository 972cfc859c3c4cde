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
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
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
        // The shared SQLite store: schema, records, run queue, chunk log. Depends on nothing of ours.
        .target(name: "PodsimStore", dependencies: [
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Wire formats every process speaks: SSE framing, UI chunks, JSON errors, HTTP client helpers,
        // and the server limits every podsim HTTP server runs with.
        .target(name: "PodsimWire", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),
        // The mock OpenAI-compatible provider.
        .target(name: "PodsimMockAI", dependencies: [
            "PodsimWire",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // One simulated studio pod.
        .target(name: "PodsimPod", dependencies: [
            "PodsimStore", "PodsimWire",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The link daemon standing in for a user's `deco link`.
        .target(name: "PodsimLink", dependencies: [
            "PodsimWire",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The coordinator: launches and supervises the processes of one cluster.
        .target(name: "PodsimCluster", dependencies: [
            "PodsimStore", "PodsimWire", "PodsimPod",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The scenario language and its runner.
        .target(name: "PodsimScenario", dependencies: [
            "PodsimCluster", "PodsimWire", "PodsimPod", "PodsimStore",
            .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // `podsim bench`: boot, delivery latency, queue throughput, fan-out and memory measurements.
        .target(name: "PodsimBench", dependencies: [
            "PodsimCluster", "PodsimWire", "PodsimStore", "PodsimPod", "PodsimScenario",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The CLI: one command per subcommand; every child role re-executes this binary.
        .executableTarget(name: "podsim", dependencies: [
            "PodsimStore", "PodsimWire", "PodsimMockAI", "PodsimPod", "PodsimLink", "PodsimCluster", "PodsimScenario",
            "PodsimBench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "PodsimStoreTests", dependencies: ["PodsimStore"]),
        .testTarget(name: "PodsimMockAITests", dependencies: [
            "PodsimMockAI", "PodsimWire",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "PodsimScenarioTests", dependencies: ["PodsimScenario", "PodsimWire", "PodsimPod"]),
        .testTarget(name: "PodsimEndToEndTests", dependencies: [
            "PodsimCluster", "PodsimWire", "PodsimStore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
    ]
)
