#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import Foundation
import PodsimClient
import PodsimModel
import PodsimStore

/// A running cluster: the store, the mock AI provider, the pods and any link daemons, all
/// supervised by this process (the coordinator). Processes are never restarted on their own:
/// only `kill`, `stop`, `start`, `pause` and `resume` change them.
public actor Cluster {
    private struct Managed {
        let spec: LaunchSpec
        var state: ProcessState
        var child: RunningChild?
        var lastExit: String?
        /// The control operation under way (`start`, `stop`, …); until it ends, every other
        /// operation on this process is refused, so concurrent calls cannot interleave.
        var operation: String?
    }

    public nonisolated let spec: ClusterSpec
    public nonisolated let stateDirectory: String
    public nonisolated let storePath: String
    /// When the cluster began booting, on the monotonic clock every process shares and as epoch
    /// milliseconds: a run's history counts time from here.
    public nonisolated let bootedAtNanos: Int64
    public nonisolated let bootedAtMillis: Int64
    private let http: HTTPClient
    /// Liveness probes' own client: a refused connection fails the probe at once, where `http`
    /// would retry it after a back-off (100 ms, then longer) and hold the probe that long.
    private let probes: HTTPClient
    /// Where children announce that they listen (see `waitLive`).
    private let readiness: ReadinessInbox
    private var processes: [String: Managed] = [:]
    private var order: [String] = []
    private var linkAccounts: [String: LinkAccount] = [:]
    /// Link daemon names taken by a start still on its way (checking its key, creating its account).
    private var reservedNames: Set<String> = []
    private var shutDown = false
    /// The coordinator's handle on the store (bus faults live there).
    var store: Store?

    private init(spec: ClusterSpec, stateDirectory: String) throws {
        self.readiness = try ReadinessInbox()
        self.spec = spec
        self.stateDirectory = stateDirectory
        self.storePath = stateDirectory + "/store.sqlite"
        self.bootedAtNanos = monotonicNanos()
        self.bootedAtMillis = wallClockMillis()
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1), read: .seconds(5))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        configuration.connectionPool.retryConnectionEstablishment = false
        self.probes = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Creates the state directory and the store, starts the mock provider and the pods, and
    /// returns once every one of them answers its liveness probe.
    public static func boot(_ spec: ClusterSpec) async throws -> Cluster {
        let directory = try spec.stateDirectory ?? makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        let cluster = try Cluster(spec: spec, stateDirectory: directory)
        do {
            try await cluster.start()
        } catch {
            await cluster.shutdown()
            throw error
        }
        return cluster
    }

    /// A fresh directory under the system's temporary directory, for one cluster's or run's state.
    static func makeTemporaryDirectory(prefix: String = "podsim-") throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/" + prefix + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func start() async throws {
        store = try await Store.create(at: storePath, clock: wallClockMillis)
        let parent = getpid()
        let mockPort = try freeLoopbackPort()
        let mockConfiguration = MockAIConfiguration(port: mockPort, parentPID: parent, readinessPort: readiness.port)
        let mock = LaunchSpec(
            name: "mock-ai", role: .mockAI, port: mockPort, executable: spec.executable,
            arguments: ["mock-ai", "--config", try mockConfiguration.encodedArgument()],
            environment: [:], logPath: logPath("mock-ai"), healthPath: "/health")
        var pods: [LaunchSpec] = []
        for index in 1...max(spec.pods, 1) {
            let name = "pod-\(index)"
            let port = try freeLoopbackPort()
            let environment = spec.environment.merging(spec.podEnvironment[name] ?? [:]) { $1 }.merging(["POD_NAME": name]) { $1 }
            var configuration = PodConfiguration(
                name: name, profile: spec.profile, port: port, storePath: storePath, providerURL: mock.url, bugs: spec.bugs,
                timings: spec.timings, parentPID: parent, hosted: spec.hosted)
            try PodEnvironment.apply(environment, to: &configuration)
            configuration.fixes = spec.fixes
            configuration.history = spec.history
            configuration.readinessPort = readiness.port
            pods.append(
                LaunchSpec(
                    name: name, role: .pod, port: port, executable: spec.executable,
                    arguments: ["pod", "--config", try configuration.encodedArgument()],
                    environment: environment, logPath: logPath(name), healthPath: "/health/live"))
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

    /// How often a child that has not announced itself is probed anyway.
    static let unannouncedProbeInterval = Duration.milliseconds(250)

    private func logPath(_ name: String) -> String { stateDirectory + "/logs/\(name).log" }

    /// A line of the coordinator's in a child's log, where whoever reads that child's story looks.
    private func appendToLog(of launch: LaunchSpec, _ line: String) {
        guard let file = FileHandle(forWritingAtPath: launch.logPath) else { return }
        defer { try? file.close() }
        _ = try? file.seekToEnd()
        try? file.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Starts a process by name and waits until it is live.
    private func launch(_ name: String) async throws {
        guard var managed = processes[name] else { throw ClusterError.unknownProcess(name) }
        let child = try await Launcher.spawn(managed.spec)
        if shutDown {
            _ = await terminate(child)
            throw ClusterError.invalidState(name, "the cluster is shutting down")
        }
        managed = processes[name] ?? managed
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
        readiness.ring(pid)
    }

    /// Waits until the child answers its liveness probe. The child announces when it listens
    /// (`ReadinessNotice`), so the probe goes out then; without a notice (a lost datagram) it
    /// goes out every `unannouncedProbeInterval`. Each child's exit ends its wait at once.
    private func waitLive(_ launch: LaunchSpec, child: RunningChild) async throws {
        let deadline = ContinuousClock.now + spec.readinessTimeout
        while ContinuousClock.now < deadline {
            await readiness.wait(for: child.pid, upTo: Self.unannouncedProbeInterval)
            if processes[launch.name]?.child?.pid != child.pid {
                let status = processes[launch.name]?.lastExit ?? "exited"
                throw ClusterError.notLive(launch.name, reason: "it exited (\(status))", logPath: launch.logPath)
            }
            if await APITransport<ErrorBody>(baseURL: launch.url, http: probes, timeout: .milliseconds(500)).answersOK(launch.healthPath) {
                return
            }
        }
        throw ClusterError.notLive(launch.name, reason: "no answer on \(launch.url)\(launch.healthPath) within \(spec.readinessTimeout)", logPath: launch.logPath)
    }

    // MARK: Control

    public func processList() -> [ControlAPI.ProcessStatus] {
        order.compactMap { name in
            processes[name].map {
                ControlAPI.ProcessStatus(
                    name: name, role: $0.spec.role, state: $0.state, pid: $0.child?.pid, url: $0.spec.url,
                    log: $0.spec.logPath, lastExit: $0.lastExit)
            }
        }
    }

    public func info(_ name: String) throws -> ControlAPI.ProcessStatus {
        guard let info = processList().first(where: { $0.name == name }) else { throw ClusterError.unknownProcess(name) }
        return info
    }

    public var podURLs: [String] { order.compactMap { processes[$0]?.spec.role == .pod ? processes[$0]?.spec.url : nil } }
    public var mockAIURL: String { processes["mock-ai"]!.spec.url }
    public func url(of name: String) throws -> String { try info(name).url }

    /// SIGKILL: the process dies at once, with no chance to release anything.
    public func kill(_ name: String) async throws {
        try await exclusively(name, "kill") {
            let child = try runningChild(name)
            Launcher.signal(child.pid, SIGKILL)
            exited(name: name, pid: child.pid, status: await child.exit.value)
        }
    }

    /// SIGTERM, then wait for the exit; SIGKILL once the drain time plus 3 s have passed.
    public func stop(_ name: String) async throws {
        try await exclusively(name, "stop") {
            let child = try runningChild(name)
            processes[name]?.state = .stopped
            exited(name: name, pid: child.pid, status: await terminate(child))
        }
    }

    /// How long a stopped process may take to exit before it is killed.
    private var stopGrace: Duration { .milliseconds(spec.timings.drainMillis) + .seconds(3) }

    private func terminate(_ child: RunningChild) async -> String {
        await Launcher.terminate(child, grace: stopGrace)
    }

    /// Starts a stopped or exited process again with the same name, port and environment.
    public func start(_ name: String) async throws {
        try await exclusively(name, "start") {
            guard let managed = processes[name], managed.child == nil else {
                throw ClusterError.invalidState(name, "is already \(processes[name]?.state.rawValue ?? "running")")
            }
            try await launch(name)
        }
    }

    /// SIGSTOP: the process freezes (stops renewing leases) until resumed. A pod first stops
    /// itself once none of its store connections is inside SQLite (`PauseOnRequest`), so a
    /// frozen pod never holds the shared file's write lock; the SIGSTOP to its group follows
    /// (and stands alone if the pod did not stop in time).
    public func pause(_ name: String) async throws {
        try await exclusively(name, "pause") {
            let child = try runningChild(name)
            guard let managed = processes[name], managed.state == .running else { throw ClusterError.invalidState(name, "is already paused") }
            if managed.spec.role == .pod, await !Launcher.requestPause(child.pid) {
                appendToLog(of: managed.spec, "coordinator: \(name) did not stop itself at a quiet point in time; SIGSTOP where it is")
            }
            Launcher.signal(child.pid, SIGSTOP)
            await Launcher.waitStopped(child.pid, upTo: .seconds(1))
            processes[name]?.state = .paused
        }
    }

    /// SIGCONT.
    public func resume(_ name: String) async throws {
        try await exclusively(name, "resume") {
            let child = try runningChild(name)
            guard processes[name]?.state == .paused else { throw ClusterError.invalidState(name, "is not paused") }
            Launcher.signal(child.pid, SIGCONT)
            processes[name]?.state = .running
        }
    }

    /// Runs one control operation on a process: 404 for an unknown name, 409 while another
    /// operation on it is under way or once the cluster is shutting down.
    private func exclusively(_ name: String, _ operation: String, _ body: () async throws -> Void) async throws {
        guard let managed = processes[name] else { throw ClusterError.unknownProcess(name) }
        guard !shutDown else { throw ClusterError.invalidState(name, "the cluster is shutting down") }
        if let busy = managed.operation { throw ClusterError.invalidState(name, "busy: \(busy) is in progress") }
        processes[name]?.operation = operation
        defer { processes[name]?.operation = nil }
        try await body()
    }

    private func runningChild(_ name: String) throws -> RunningChild {
        guard let managed = processes[name] else { throw ClusterError.unknownProcess(name) }
        guard let child = managed.child else { throw ClusterError.invalidState(name, "is not running (\(managed.state.rawValue))") }
        return child
    }

    /// `POST /link-daemons`: checks the request, picks a name if none is given, verifies the key
    /// (or creates an account when there is none), then starts the daemon. Bad input is refused
    /// before anything starts, and a daemon that fails to come up is stopped and forgotten.
    public func startLinkDaemon(name: String?, apiKey: String?, ttlMillis: Int64?) async throws -> ControlAPI.ProcessStatus {
        let name = name ?? nextLinkDaemonName()
        let ttl = ttlMillis ?? LinkDaemonSpec.defaultTTLMillis
        try LinkDaemonSpec.validate(name: name, ttlMillis: ttl)
        if let apiKey, apiKey.isEmpty || apiKey.utf8.count > 256 || apiKey.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ClusterError.invalidRequest("apiKey must be an API key (1 to 256 characters, no spaces)")
        }
        try reserve(name)
        defer { reservedNames.remove(name) }
        let account: LinkAccount
        if let apiKey {
            account = try await verifiedAccount(apiKey: apiKey)
        } else {
            account = try await bootstrapAccount(name: "link user")
        }
        return try await launchLinkDaemon(LinkDaemonSpec(name: name, apiKey: account.apiKey, ttlMillis: ttl), account: account)
    }

    /// Starts a link daemon for the user behind `apiKey` and waits until its link is live.
    @discardableResult
    public func startLinkDaemon(_ daemon: LinkDaemonSpec, account: LinkAccount? = nil) async throws -> ControlAPI.ProcessStatus {
        try LinkDaemonSpec.validate(name: daemon.name, ttlMillis: daemon.ttlMillis)
        try reserve(daemon.name)
        defer { reservedNames.remove(daemon.name) }
        return try await launchLinkDaemon(daemon, account: account ?? LinkAccount(apiKey: daemon.apiKey))
    }

    private func nextLinkDaemonName() -> String {
        var index = 1
        while processes["link-\(index)"] != nil || reservedNames.contains("link-\(index)") { index += 1 }
        return "link-\(index)"
    }

    private func reserve(_ name: String) throws {
        guard !shutDown else { throw ClusterError.invalidState(name, "the cluster is shutting down") }
        guard processes[name] == nil, !reservedNames.contains(name) else { throw ClusterError.invalidState(name, "already exists") }
        reservedNames.insert(name)
    }

    private func launchLinkDaemon(_ daemon: LinkDaemonSpec, account: LinkAccount) async throws -> ControlAPI.ProcessStatus {
        let port = try freeLoopbackPort()
        let configuration = LinkDaemonConfiguration(
            name: daemon.name, port: port, podURLs: podURLs, apiKey: daemon.apiKey, ttlMillis: daemon.ttlMillis, parentPID: getpid(),
            readinessPort: readiness.port)
        let arguments = ["link-daemon", "--config", try configuration.encodedArgument()]
        let launchSpec = LaunchSpec(
            name: daemon.name, role: .linkDaemon, port: port, executable: spec.executable, arguments: arguments,
            environment: [:], logPath: logPath(daemon.name), healthPath: "/health")
        processes[daemon.name] = Managed(spec: launchSpec, state: .stopped, operation: "start")
        order.append(daemon.name)
        linkAccounts[daemon.name] = account
        do {
            try await launch(daemon.name)
            try await waitForLiveLink(apiKey: daemon.apiKey, name: daemon.name, logPath: launchSpec.logPath)
        } catch {
            if let child = processes[daemon.name]?.child { _ = await terminate(child) }
            processes[daemon.name] = nil
            order.removeAll { $0 == daemon.name }
            linkAccounts[daemon.name] = nil
            throw error
        }
        processes[daemon.name]?.operation = nil
        return try info(daemon.name)
    }

    private func waitForLiveLink(apiKey: String, name: String, logPath: String) async throws {
        let deadline = ContinuousClock.now + spec.readinessTimeout
        while ContinuousClock.now < deadline {
            guard processes[name]?.child != nil else {
                throw ClusterError.notLive(name, reason: "it exited (\(processes[name]?.lastExit ?? "exited"))", logPath: logPath)
            }
            for pod in runningPodURLs {
                if let links = try? await podClient(pod, apiKey: apiKey).links(), links.links.contains(where: \.live) { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ClusterError.notLive(name, reason: "its link never became live", logPath: logPath)
    }

    /// The pods that are running now, in order.
    private var runningPodURLs: [String] {
        order.compactMap { name in
            processes[name].flatMap { $0.spec.role == .pod && $0.state == .running ? $0.spec.url : nil }
        }
    }

    /// A client of one pod over the cluster's own HTTP client.
    private func podClient(_ url: String, apiKey: String? = nil, timeout: Duration = .seconds(2)) -> PodClient {
        PodClient(url: url, credential: apiKey.map(PodCredential.apiKey), timeout: timeout, http: http)
    }

    /// The account behind an API key, once a running pod has accepted the key.
    private func verifiedAccount(apiKey: String) async throws -> LinkAccount {
        for pod in runningPodURLs {
            do {
                _ = try await podClient(pod, apiKey: apiKey).links()
                return LinkAccount(apiKey: apiKey)
            } catch let error as PodAPIError where error.status == 401 || error.status == 403 {
                throw ClusterError.invalidRequest("apiKey is not a valid API key on this cluster")
            } catch {
                continue
            }
        }
        throw ClusterError.unavailable("no pod answered to check the apiKey; start a pod first")
    }

    /// Creates an org (user + API key) through the first running pod that answers.
    public func bootstrapAccount(name: String) async throws -> LinkAccount {
        var lastFailure = "no pod is running"
        for pod in runningPodURLs {
            do {
                let created = try await podClient(pod, timeout: .seconds(5)).createOrg(name: name)
                return LinkAccount(orgSlug: created.orgSlug, userId: created.userId, apiKey: created.apiKey)
            } catch let error as PodAPIError {
                lastFailure = "\(pod): \(error)"
            } catch {
                lastFailure = "\(pod) did not answer (\(error))"
            }
        }
        throw ClusterError.unavailable("could not create an account: \(lastFailure)")
    }

    // MARK: Shutdown and description

    /// Stops everything this cluster started: link daemons first, so that they deregister from
    /// pods that still answer, then the pods and the mock provider together. Each process gets
    /// SIGTERM, then SIGKILL once the drain time plus 3 s have passed.
    public func shutdown() async {
        guard !shutDown else { return }
        shutDown = true
        for roles in [[ProcessRole.linkDaemon], [.pod, .mockAI]] {
            let children = order.reversed().compactMap { name -> RunningChild? in
                guard let managed = processes[name], roles.contains(managed.spec.role) else { return nil }
                processes[name]?.state = .stopped
                return managed.child
            }
            let grace = stopGrace
            await withTaskGroup(of: Void.self) { group in
                for child in children { group.addTask { _ = await Launcher.terminate(child, grace: grace) } }
            }
        }
        readiness.close()
        try? await http.shutdown()
        try? await probes.shutdown()
    }

    public func describe(controlURL: String?) -> ClusterDescription {
        let list = processList()
        return ClusterDescription(
            stateDir: stateDirectory, store: storePath, mockAI: .init(url: mockAIURL), control: controlURL.map { .init(url: $0) },
            pods: list.filter { $0.role == .pod }.map { .init(name: $0.name, url: $0.url, pid: $0.pid) },
            linkDaemons: list.filter { $0.role == .linkDaemon }.map {
                .init(name: $0.name, url: $0.url, pid: $0.pid, account: linkAccounts[$0.name])
            },
            bugs: spec.bugs.sorted().map(\.rawValue), profile: spec.profile.rawValue,
            settings: ClusterSettings(
                environment: spec.environment, podEnvironment: spec.podEnvironment, timings: spec.timings, hosted: spec.hosted,
                fixes: spec.fixes.sorted().map(\.rawValue)))
    }

    /// Writes `cluster.json` into the state directory.
    public func writeDescription(controlURL: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(describe(controlURL: controlURL)).write(to: URL(fileURLWithPath: stateDirectory + "/cluster.json"))
    }
}
