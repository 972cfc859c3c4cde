import ArgumentParser
import Foundation
import PodsimLink
import PodsimMockAI
import PodsimModel
import PodsimPod
import PodsimServer

/// `podsim pod`: one pod process. The coordinator starts it; users never need to.
struct PodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod", abstract: "Run one pod (started by the coordinator).", shouldDisplay: false)

    @Option(help: "The pod's configuration, as the coordinator encodes it.") var config: String

    func run() async throws {
        try await Pod.run(try PodConfiguration(encodedArgument: config))
    }
}

/// `podsim mock-ai`: the OpenAI-compatible mock provider.
struct MockAICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-ai", abstract: "Run the mock OpenAI-compatible provider on loopback.", shouldDisplay: false)

    @Option(help: "The port to listen on (0: any free port).") var port: Int = 0
    @Option(name: .customLong("parent-pid"), help: "Exit when this process is no longer the parent.") var parentPID: Int32?
    @Option(help: "The whole configuration, as the coordinator encodes it (overrides the other options).") var config: String?

    func run() async throws {
        let configuration = try config.map(MockAIConfiguration.init(encodedArgument:)) ?? MockAIConfiguration(port: port, parentPID: parentPID)
        try await runMockAI(configuration)
    }
}

/// `podsim link-daemon`: a user's link daemon (started through the coordinator).
struct LinkDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-daemon", abstract: "Run a link daemon for one user (started by the coordinator).", shouldDisplay: false)

    @Option(help: "The daemon's configuration, as the coordinator encodes it.") var config: String

    func run() async throws {
        let configuration = try LinkDaemonConfiguration(encodedArgument: config)
        guard !configuration.podURLs.isEmpty, configuration.ttlMillis > 0 else {
            throw ValidationError("a link daemon needs at least one pod URL and a positive TTL")
        }
        try await LinkDaemon.run(configuration)
    }
}
