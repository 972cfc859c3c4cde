#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import NIOCore
import Foundation
import PodsimPod
import PodsimStore
import PodsimWire

/// A running cluster: the store, the mock AI provider, the pods and any link daemons, all
/// supervised by this process (the coordinator). Processes are never restarted on their own:
/// only `kill`, `stop`, `start`, `pause` and `resume` change them.
public actor Cluster {
    /// One supervised process as the control API reports it.
    public struct ProcessInfo: Sendable, Codable, Equatable {
        public var name: String
        public var role: ProcessRole
        public var state: ProcessState
        public var pid: Int32?
        public var url: String
        public var log: String
        public var lastExit: String?
    }

    private struct Managed {
        let spec: LaunchSpec
        var state: ProcessState
        var child: RunningChild?
        var lastExit: String?
    }

    public nonisolated let spec: ClusterSpec
    public nonisolated let stateDirectory: String
    public nonisolated let storePath: String
    private let http: HTTPClient
    private var processes: [String: Managed] = [:]
    private var order: [String] = []
    private var linkAccounts: [String: LinkAccount] = [:]
    private var shutDown = false

    /// The account a link daemon registered for (reported in cluster.json).
    public struct LinkAccount: Sendable, Codable, Equatable {
        public var orgSlug: String?
        public var userId: String?
        public var apiKey: String
    }

    private init(spec: ClusterSpec, stateDirectory: String) {
        self.spec = spec
        self.stateDirectory = stateDirectory
        self.storePath = stateDirectory + "/store.sqlite"
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1), read: .seconds(5))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Creates the state directory and the store, starts the mock provider and the pods, and
    /// returns once every one of them answers its liveness probe.
    public static func boot(_ spec: ClusterSpec) async throws -> Cluster {
        let directory = try spec.stateDirectory ?? makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        let cluster = Cluster(spec: spec, stateDirectory: directory)
        do {
            try await cluster.start()
        } catch {
            await cluster.shutdown()
            throw error
        }
        return cluster
    }

    private static func makeTemporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/podsim-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func start() async throws {
        _ = try Store.create(at: storePath)
        let parent = String(getpid())
        let mockPort = try freeLoopbackPort()
        let mock = LaunchSpec(
            name: "mock-ai", role: .mockAI, port: mockPort, executable: spec.executable,
            arguments: ["mock-ai", "--port", String(mockPort), "--parent-pid", parent],
            environment: [:], logPath: logPath("mock-ai"), healthPath: "/health")
        var pods: [LaunchSpec] = []
        for index in 1...max(spec.pods, 1) {
            let name = "pod-\(index)"
            let port = try freeLoopbackPort()
            var arguments = [
                "pod", "--name", name, "--port", String(port), "--store", storePath,
                "--provider-url", mock.url, "--parent-pid", parent,
                "--lease-ms", String(spec.timings.leaseMillis), "--poll-ms", String(spec.timings.pollMillis),
                "--keepalive-ms", String(spec.timings.keepaliveMillis), "--drain-ms", String(spec.timings.drainMillis),
            ]
            for bug in spec.bugs.sorted() { arguments += ["--bug", bug.rawValue] }
            let environment = spec.environment.merging(spec.podEnvironment[name] ?? [:]) { $1 }
            pods.append(
                LaunchSpec(
                    name: name, role: .pod, port: port, executable: spec.executable, arguments: arguments,
                    environment: environment.merging(["POD_NAME": name]) { $1 }, logPath: logPath(name), healthPath: "/health/live"))
        }
        for launch in [mock] + pods {
            processes[launch.name] = Managed(spec: launch, state: .stopped)
            order.append(launch.name)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for launch in [mock] + pods {
                group.addTask { try await self.launch(launch.name) }
            }
            try await group.waitForAll()
        }
    }

    private func logPath(_ name: String) -> String { stateDirectory + "/logs/\(name).log" }

    /// Starts a process by name and waits until it is live.
    private func launch(_ name: String) async throws {
        guard var managed = processes[name] else { throw ClusterError.unknownProcess(name) }
        let child = try await Launcher.spawn(managed.spec)
        managed.child = child
        managed.state = .running
        processes[name] = managed
        Task {
            let status = await child.exit.value
            self.exited(name: name, pid: child.pid, status: status)
        }
        try await waitLive(managed.spec, child: child)
    }

    private func exited(name: String, pid: Int32, status: String) {
        guard var managed = processes[name], managed.child?.pid == pid else { return }
        managed.child = nil
        managed.lastExit = status
        if managed.state != .stopped { managed.state = .exited }
        processes[name] = managed
    }

    private func waitLive(_ launch: LaunchSpec, child: RunningChild) async throws {
        let deadline = ContinuousClock.now + spec.readinessTimeout
        while ContinuousClock.now < deadline {
            if processes[launch.name]?.child?.pid != child.pid {
                let status = processes[launch.name]?.lastExit ?? "exited"
                throw ClusterError.notLive(launch.name, reason: "it exited (\(status))", logPath: launch.logPath)
            }
            if await probe(launch.url + launch.healthPath) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ClusterError.notLive(launch.name, reason: "no answer on \(launch.url)\(launch.healthPath) within \(spec.readinessTimeout)", logPath: launch.logPath)
    }

    private func probe(_ url: String) async -> Bool {
        guard let response = try? await http.execute(HTTPClientRequest(url: url), timeout: .milliseconds(500)) else { return false }
        _ = try? await response.body.collect(upTo: 4096)
        return response.status == .ok
    }

    // MARK: Control

    public func processList() -> [ProcessInfo] {
        order.compactMap { name in
            processes[name].map {
                ProcessInfo(
                    name: name, role: $0.spec.role, state: $0.state, pid: $0.child?.pid, url: $0.spec.url,
                    log: $0.spec.logPath, lastExit: $0.lastExit)
            }
        }
    }

    public func info(_ name: String) throws -> ProcessInfo {
        guard let info = processList().first(where: { $0.name == name }) else { throw ClusterError.unknownProcess(name) }
        return info
    }

    public var podURLs: [String] { order.compactMap { processes[$0]?.spec.role == .pod ? processes[$0]?.spec.url : nil } }
    public var mockAIURL: String { processes["mock-ai"]!.spec.url }
    public func url(of name: String) throws -> String { try info(name).url }

    /// SIGKILL: the process dies at once, with no chance to release anything.
    public func kill(_ name: String) async throws {
        let child = try runningChild(name)
        Launcher.signal(child.pid, SIGKILL)
        exited(name: name, pid: child.pid, status: await child.exit.value)
    }

    /// SIGTERM, then wait for a graceful exit (SIGKILL after the drain time plus a margin).
    public func stop(_ name: String) async throws {
        let child = try runningChild(name)
        processes[name]?.state = .stopped
        await terminate(child)
        exited(name: name, pid: child.pid, status: await child.exit.value)
    }

    private func terminate(_ child: RunningChild) async {
        Launcher.signal(child.pid, SIGCONT)
        Launcher.signal(child.pid, SIGTERM)
        let grace = Duration.milliseconds(spec.timings.drainMillis) + .seconds(3)
        let exited = await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await child.exit.value; return true }
            group.addTask { try? await Task.sleep(for: grace); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !exited {
            Launcher.signal(child.pid, SIGKILL)
            _ = await child.exit.value
        }
    }

    /// Starts a stopped or exited process again with the same name, port and environment.
    public func start(_ name: String) async throws {
        guard let managed = processes[name] else { throw ClusterError.unknownProcess(name) }
        guard managed.child == nil else { throw ClusterError.invalidState(name, "is already \(managed.state.rawValue)") }
        try await launch(name)
    }

    /// SIGSTOP: the process freezes (stops renewing leases) until resumed.
    public func pause(_ name: String) throws {
        let child = try runningChild(name)
        Launcher.signal(child.pid, SIGSTOP)
        processes[name]?.state = .paused
    }

    /// SIGCONT.
    public func resume(_ name: String) throws {
        guard let child = processes[name]?.child else { throw ClusterError.invalidState(name, "is not running") }
        Launcher.signal(child.pid, SIGCONT)
        processes[name]?.state = .running
    }

    private func runningChild(_ name: String) throws -> RunningChild {
        guard let managed = processes[name] else { throw ClusterError.unknownProcess(name) }
        guard let child = managed.child else { throw ClusterError.invalidState(name, "is not running (\(managed.state.rawValue))") }
        return child
    }

    /// Starts a link daemon for the user behind `apiKey` and waits until its link is live.
    @discardableResult
    public func startLinkDaemon(_ daemon: LinkDaemonSpec, account: LinkAccount? = nil) async throws -> ProcessInfo {
        guard processes[daemon.name] == nil else { throw ClusterError.invalidState(daemon.name, "already exists") }
        let port = try freeLoopbackPort()
        var arguments = [
            "link-daemon", "--name", daemon.name, "--port", String(port), "--api-key", daemon.apiKey,
            "--ttl-ms", String(daemon.ttlMillis), "--parent-pid", String(getpid()),
        ]
        for url in podURLs { arguments += ["--pod", url] }
        let launchSpec = LaunchSpec(
            name: daemon.name, role: .linkDaemon, port: port, executable: spec.executable, arguments: arguments,
            environment: [:], logPath: logPath(daemon.name), healthPath: "/health")
        processes[daemon.name] = Managed(spec: launchSpec, state: .stopped)
        order.append(daemon.name)
        linkAccounts[daemon.name] = account ?? LinkAccount(apiKey: daemon.apiKey)
        try await launch(daemon.name)
        try await waitForLiveLink(apiKey: daemon.apiKey, name: daemon.name, logPath: launchSpec.logPath)
        return try info(daemon.name)
    }

    private func waitForLiveLink(apiKey: String, name: String, logPath: String) async throws {
        let deadline = ContinuousClock.now + spec.readinessTimeout
        while ContinuousClock.now < deadline {
            for pod in podURLs {
                var request = HTTPClientRequest(url: pod + "/api/links")
                request.headers.add(name: "authorization", value: "Bearer \(apiKey)")
                if let response = try? await http.execute(request, timeout: .seconds(1)),
                    let body = try? await response.body.collect(upTo: 1 << 16),
                    response.status == .ok, String(buffer: body).contains("\"live\":true")
                {
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ClusterError.notLive(name, reason: "its link never became live", logPath: logPath)
    }

    /// Creates an org (user + API key) through the first live pod.
    public func bootstrapAccount(name: String) async throws -> LinkAccount {
        var request = HTTPClientRequest(url: (podURLs.first ?? "") + "/api/orgs")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"name":"\#(name)"}"#))
        let response = try await http.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        struct Created: Decodable {
            var orgSlug: String
            var userId: String
            var apiKey: String
        }
        guard response.status == .created else {
            throw ClusterError.invalidState("pod-1", "POST /api/orgs answered \(response.status.code): \(String(buffer: body))")
        }
        let created = try JSONDecoder().decode(Created.self, from: Data(body.readableBytesView))
        return LinkAccount(orgSlug: created.orgSlug, userId: created.userId, apiKey: created.apiKey)
    }

    // MARK: Shutdown and description

    /// Stops everything this cluster started (SIGTERM, then SIGKILL after the grace period).
    public func shutdown() async {
        guard !shutDown else { return }
        shutDown = true
        let children = order.reversed().compactMap { name -> RunningChild? in
            processes[name]?.state = .stopped
            return processes[name]?.child
        }
        await withTaskGroup(of: Void.self) { group in
            for child in children { group.addTask { await self.terminate(child) } }
        }
        try? await http.shutdown()
    }

    /// The cluster.json document: a stable shape tools read.
    public struct Description: Codable, Sendable, Equatable {
        public struct Endpoint: Codable, Sendable, Equatable { public var url: String }
        public struct Pod: Codable, Sendable, Equatable {
            public var name: String
            public var url: String
            public var pid: Int32?
        }

        public struct LinkDaemon: Codable, Sendable, Equatable {
            public var name: String
            public var url: String
            public var pid: Int32?
            public var account: LinkAccount?
        }

        public var stateDir: String
        public var store: String
        public var mockAI: Endpoint
        public var control: Endpoint?
        public var pods: [Pod]
        public var linkDaemons: [LinkDaemon]
        public var bugs: [String]
    }

    public func describe(controlURL: String?) -> Description {
        let list = processList()
        return Description(
            stateDir: stateDirectory, store: storePath, mockAI: .init(url: mockAIURL), control: controlURL.map { .init(url: $0) },
            pods: list.filter { $0.role == .pod }.map { .init(name: $0.name, url: $0.url, pid: $0.pid) },
            linkDaemons: list.filter { $0.role == .linkDaemon }.map {
                .init(name: $0.name, url: $0.url, pid: $0.pid, account: linkAccounts[$0.name])
            },
            bugs: spec.bugs.sorted().map(\.rawValue))
    }

    /// Writes `cluster.json` into the state directory.
    public func writeDescription(controlURL: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(describe(controlURL: controlURL)).write(to: URL(fileURLWithPath: stateDirectory + "/cluster.json"))
    }
}
