import ArgumentParser
import Foundation
import PodsimCluster
import PodsimLink
import PodsimMockAI
import PodsimModel
import PodsimPod
import PodsimServer
import PodsimStore

/// `podsim pod`: one pod process. The coordinator starts it with `--config`; a stack that runs
/// each pod in a container of its own (`compose/`) starts it with the plain options, the pod
/// reading its environment as under the coordinator.
struct PodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod", abstract: "Run one pod (started by the coordinator, or by a compose stack).", shouldDisplay: false)

    @Option(help: "The pod's configuration, as the coordinator encodes it (instead of the options below).") var config: String?
    @Option(help: "The pod's name: pod-1 … pod-N.") var name: String?
    @Option(help: "The loopback port to listen on.") var port: Int?
    @Option(help: "The cluster's SQLite store.") var store: String?
    @Option(help: "The mock provider's URL.") var provider: String?
    @Option(help: "The server era the pod simulates.") var profile: ServerProfile = .default
    @Flag(name: .customLong("create-store"), help: "Create and migrate the store first (the stack's first pod; the others start once it is live).")
    var createStore = false

    func validate() throws {
        guard config == nil else {
            if name != nil || port != nil || store != nil || provider != nil || createStore {
                throw ValidationError("--config carries the whole configuration; give it alone")
            }
            return
        }
        guard let name, let port, store != nil, provider != nil else {
            throw ValidationError("give --config, or --name, --port, --store and --provider")
        }
        guard name.hasPrefix("pod-"), let number = Int(name.dropFirst(4)), number >= 1, "pod-\(number)" == name else {
            throw ValidationError("--name must be pod-1 … pod-N (got \(name))")
        }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535 (got \(port))") }
    }

    func run() async throws {
        if let config { return try await Self.run(config: config) }
        guard let name, let port, let store, let provider else { return }
        var configuration = PodConfiguration(name: name, profile: profile, port: port, storePath: store, providerURL: provider)
        try PodEnvironment.apply(ProcessInfo.processInfo.environment, to: &configuration)
        if createStore { _ = try await Store.create(at: store, clock: wallClockMillis) }
        try await Pod.run(configuration)
    }

    /// `podsim pod --config …`, as the coordinator starts it.
    static func run(config: String) async throws {
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
        if let config { return try await Self.run(config: config) }
        try await runMockAI(MockAIConfiguration(port: port, parentPID: parentPID))
    }

    /// `podsim mock-ai --config …`, as the coordinator starts it.
    static func run(config: String) async throws {
        try await runMockAI(try MockAIConfiguration(encodedArgument: config))
    }
}

/// `podsim link-daemon`: a user's link daemon (started through the coordinator).
struct LinkDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-daemon", abstract: "Run a link daemon for one user (started by the coordinator).", shouldDisplay: false)

    @Option(help: "The daemon's configuration, as the coordinator encodes it.") var config: String

    func run() async throws {
        try await Self.run(config: config)
    }

    /// `podsim link-daemon --config …`, as the coordinator starts it.
    static func run(config: String) async throws {
        let configuration = try LinkDaemonConfiguration(encodedArgument: config)
        guard !configuration.podURLs.isEmpty, configuration.ttlMillis > 0 else {
            throw ValidationError("a link daemon needs at least one pod URL and a positive TTL")
        }
        try await LinkDaemon.run(configuration)
    }
}

/// The child roles the coordinator starts as `podsim ROLE --config JSON`. `Podsim.main` runs them
/// without the argument parser: building its command tree names every command type by
/// reflection, milliseconds of dynamic type lookups in each of the many children a cluster starts.
enum ChildRole: String {
    case pod
    case mockAI = "mock-ai"
    case linkDaemon = "link-daemon"

    /// The role and its configuration when `arguments` (without the executable) are exactly
    /// `ROLE --config VALUE`; anything else goes through the parser.
    static func launch(_ arguments: [String]) -> (ChildRole, String)? {
        guard arguments.count == 3, arguments[1] == "--config", let role = ChildRole(rawValue: arguments[0]) else { return nil }
        return (role, arguments[2])
    }

    /// Runs the role as its command's `run()` would; a failure ends the process as the parser's
    /// `main` ends it.
    func run(config: String) async {
        do {
            switch self {
            case .pod: try await PodCommand.run(config: config)
            case .mockAI: try await MockAICommand.run(config: config)
            case .linkDaemon: try await LinkDaemonCommand.run(config: config)
            }
        } catch {
            switch self {
            case .pod: PodCommand.exit(withError: error)
            case .mockAI: MockAICommand.exit(withError: error)
            case .linkDaemon: LinkDaemonCommand.exit(withError: error)
            }
        }
    }
}
