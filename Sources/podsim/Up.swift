import ArgumentParser
import Foundation
import Hummingbird
import PodsimCluster
import PodsimModel
import PodsimPod
import PodsimServer
import ServiceLifecycle

/// `podsim up`: boot a cluster and keep it running until Ctrl-C / SIGTERM.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a cluster (store, mock AI provider, pods) and run until interrupted.",
        discussion: "Writes DIR/cluster.json and process logs to DIR/logs/. Ctrl-C stops every process it started.")

    @Option(help: "Number of pods.") var pods: Int = 3
    @Option(help: "The server era the pods simulate: seed (June 2026) or hosted (today).") var profile: ServerProfile = .default
    @Option(name: .customLong("state-dir"), help: "State directory (default: a fresh temporary directory).")
    var stateDir: String?
    @Option(name: .customLong("env"), help: "KEY=VALUE for every pod (repeatable), e.g. STUDIO_SANDBOX_RUNNER=docker.")
    var environment: [String] = []
    @Option(name: .customLong("pod-env"), help: "POD:KEY=VALUE for one pod (repeatable), e.g. pod-2:PODSIM_DOCKER_AVAILABLE=1.")
    var podEnvironment: [String] = []
    @Option(name: .customLong("bug"), help: "Turn a historical bug back on (repeatable; see `podsim bugs`).")
    var bugs: [BugSwitch] = []
    @Option(name: .customLong("fix"), help: "Turn on the candidate fix of a bug the real server still has (repeatable; see `podsim bugs`).")
    var fixes: [OpenBug] = []
    @Flag(name: .customLong("link-daemon"), help: "Also start a link daemon for a freshly created account.")
    var linkDaemon = false
    @Option(name: .customLong("link-ttl-ms"), help: "TTL of the link daemon's link.") var linkTTLMillis: Int64 = 3000
    @OptionGroup var timing: TimingOptions
    @OptionGroup var hosted: HostedKnobOptions

    func validate() throws {
        guard (1...64).contains(pods) else { throw ValidationError("--pods must be between 1 and 64 (got \(pods))") }
        guard LinkDaemonSpec.ttlRange.contains(linkTTLMillis) else {
            throw ValidationError("--link-ttl-ms must be between \(LinkDaemonSpec.ttlRange.lowerBound) and \(LinkDaemonSpec.ttlRange.upperBound)")
        }
        for item in environment { _ = try parseAssignment(item, flag: "--env") }
        try requireProfile(profile, bugs: bugs, fixes: fixes)
        for item in podEnvironment { _ = try parsePodAssignment(item) }
    }

    private func parsePodAssignment(_ item: String) throws -> (String, String, String) {
        guard let colon = item.firstIndex(of: ":") else { throw ValidationError("--pod-env expects POD:KEY=VALUE, got \"\(item)\"") }
        let (key, value) = try parseAssignment(String(item[item.index(after: colon)...]), flag: "--pod-env")
        return (String(item[..<colon]), key, value)
    }

    func run() async throws {
        var spec = ClusterSpec(pods: pods, stateDirectory: stateDir, bugs: Set(bugs), fixes: Set(fixes), timings: timing.timings, profile: profile,
            hosted: hosted.settings)
        for item in environment {
            let (key, value) = try parseAssignment(item, flag: "--env")
            spec.environment[key] = value
        }
        for item in podEnvironment {
            let (pod, key, value) = try parsePodAssignment(item)
            spec.podEnvironment[pod, default: [:]][key] = value
        }
        let started = ContinuousClock.now
        let cluster: Cluster
        do {
            cluster = try await Cluster.boot(spec)
        } catch {
            logLine("podsim up: \(error)")
            throw ExitCode.failure
        }
        do {
            if linkDaemon {
                let account = try await cluster.bootstrapAccount(name: "link user")
                try await cluster.startLinkDaemon(LinkDaemonSpec(name: "link-1", apiKey: account.apiKey, ttlMillis: linkTTLMillis), account: account)
            }
            let controlPort = try ControlServer.freePort()
            let controlURL = "http://127.0.0.1:\(controlPort)"
            try await cluster.writeDescription(controlURL: controlURL)
            let description = await cluster.describe(controlURL: controlURL)
            let elapsed = ContinuousClock.now - started
            let podList = description.pods.map { "\($0.name)=\($0.url)" }.joined(separator: " ")
            let bugNote = (description.bugs.isEmpty ? "" : " BUG SWITCHES ON: \(description.bugs.joined(separator: ", ")).")
                + (fixes.isEmpty ? "" : " CANDIDATE FIXES ON: \(fixes.sorted().map(\.rawValue).joined(separator: ", ")).")
            logLine(
                "podsim: cluster ready in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))): \(podList) "
                    + "mock-ai=\(description.mockAI.url) control=\(controlURL) state=\(description.stateDir)/cluster.json.\(bugNote) Ctrl-C to stop.")
            let control = ControlServer.application(cluster: cluster, port: controlPort)
            let group = ServiceGroup(services: [control], gracefulShutdownSignals: [.sigterm, .sigint], logger: .init(label: "podsim"))
            try await group.run()
        } catch {
            logLine("podsim up: \(error)")
            await cluster.shutdown()
            throw ExitCode.failure
        }
        logLine("podsim: stopping the cluster")
        await cluster.shutdown()
        logLine("podsim: stopped")
    }
}
