import Foundation
import PodsimClient
import PodsimModel
import PodsimStore
import Subprocess

/// A cluster podsim did not boot (`podsim run --target FILE`): pods and a mock provider that
/// already run, faulted through the podsim control API or through the target's own shell
/// commands (`docker compose kill …`). One value serves one scenario run: it resets the mock
/// provider when attached, starts its history after the store's last journal row, and when the
/// run ends puts back what the run changed (starts what it stopped, resumes what it paused,
/// stops the link daemons it started, heals the bus).
public actor ExternalCluster: ClusterHandle {
    public nonisolated let target: TargetDescription
    public nonisolated let profile: ServerProfile
    public nonisolated let podCount: Int
    public nonisolated let stateDirectory: String
    public nonisolated let storeFile: String?
    public nonisolated let bootedAtNanos: Int64
    public nonisolated let bootedAtMillis: Int64
    public nonisolated let journalStart: Int64
    private let control: ControlClient?
    /// What this run's template faults left each process in (absent: running, as found).
    private var states: [String: ProcessState] = [:]
    /// Processes this run faulted through the control API.
    private var controlled: Set<String> = []
    private var linkDaemons: [String] = []
    private var busTouched = false

    /// How long a process may take to stop answering after a kill or stop, or to answer again
    /// after a start or resume, when faulted by a command.
    static let settleTimeout: Duration = .seconds(30)
    /// How long one fault command may run.
    static let commandTimeout: Duration = .seconds(120)

    private init(target: TargetDescription, stateDirectory: String, journalStart: Int64) {
        self.target = target
        profile = target.profile.flatMap(ServerProfile.init(rawValue:)) ?? .default
        podCount = target.pods.count
        self.stateDirectory = stateDirectory
        storeFile = target.store
        bootedAtNanos = monotonicNanos()
        bootedAtMillis = wallClockMillis()
        self.journalStart = journalStart
        control = target.control.map { ControlClient(url: $0.url) }
    }

    /// Checks that every pod answers its liveness probe, resets the mock provider and notes
    /// where the store's journal ends. What the run keeps goes to a fresh state directory.
    public static func attach(_ target: TargetDescription) async throws -> ExternalCluster {
        for pod in target.pods {
            do {
                _ = try await PodClient(url: pod.url, timeout: .seconds(2)).live()
            } catch {
                throw ClusterError.unavailable("\(pod.name) at \(pod.url) does not answer GET \(PodPath.live): \(error)")
            }
        }
        do {
            try await MockAIControlClient(url: target.mockAI.url, timeout: .seconds(2)).reset()
        } catch {
            throw ClusterError.unavailable("the mock provider at \(target.mockAI.url) cannot be reset: \(error)")
        }
        var journalStart: Int64 = 0
        if let path = target.store {
            do {
                let store = try await Store.open(at: path, clock: wallClockMillis)
                let rows = try await store.query(#"SELECT coalesce(max("id"), 0) AS "last" FROM "journal""#)
                journalStart = rows.first?["last"].flatMap { $0 }.flatMap { Int64($0) } ?? 0
            } catch {
                throw ClusterError.unavailable("the target's store \(path) cannot be read: \(error)")
            }
        }
        return ExternalCluster(target: target, stateDirectory: try Cluster.makeTemporaryDirectory(prefix: "podsim-target-"), journalStart: journalStart)
    }

    // MARK: Processes

    public func processList() async -> [ControlAPI.ProcessStatus] {
        if let control, let list = try? await control.processes() { return list.processes }
        let pods = target.pods.map { pod in
            ControlAPI.ProcessStatus(name: pod.name, role: .pod, state: states[pod.name] ?? .running, pid: pod.pid, url: pod.url, log: "", lastExit: nil)
        }
        let provider = ControlAPI.ProcessStatus(
            name: "mock-ai", role: .mockAI, state: states["mock-ai"] ?? .running, pid: nil, url: target.mockAI.url, log: "", lastExit: nil)
        return [provider] + pods
    }

    public func info(_ name: String) async throws -> ControlAPI.ProcessStatus {
        guard let info = await processList().first(where: { $0.name == name }) else { throw ClusterError.unknownProcess(name) }
        return info
    }

    public func url(of name: String) async throws -> String { try await info(name).url }

    public var mockAIURL: String { target.mockAI.url }

    // MARK: Faults

    public func perform(_ action: ProcessAction, on name: String) async throws {
        if let command = target.faults?.command(action, name: name) {
            try ProcessName.validate(name)
            let process = try await info(name)
            try await Self.runCommand(command)
            states[name] = switch action {
            case .kill: .exited
            case .stop: .stopped
            case .pause: .paused
            case .start, .resume: .running
            }
            try await settle(process, after: action)
        } else if let control {
            controlled.insert(name)
            _ = try await control.perform(action, on: name)
        } else {
            throw ClusterError.unavailable("the target can not \(action.rawValue) \(name): give it faults.\(action.rawValue) or a control URL")
        }
    }

    /// After a command: waits until a killed or stopped pod stops answering, or a started or
    /// resumed one answers again.
    private func settle(_ process: ControlAPI.ProcessStatus, after action: ProcessAction) async throws {
        guard process.role == .pod, action != .pause else { return }
        let wantLive = action == .start || action == .resume
        let deadline = ContinuousClock.now + Self.settleTimeout
        while ContinuousClock.now < deadline {
            let live = (try? await PodClient(url: process.url, timeout: .milliseconds(500)).live()) != nil
            if live == wantLive { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ClusterError.invalidState(
            process.name, wantLive ? "did not answer within \(Self.settleTimeout) of \(action.rawValue)" : "still answers \(Self.settleTimeout) after \(action.rawValue)")
    }

    /// Runs one fault command with `/bin/sh -c`; a non-zero exit fails the fault with its output.
    static func runCommand(_ command: String) async throws {
        let outcome = try await withThrowingTaskGroup(of: (success: Bool, output: String)?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    .path("/bin/sh"), arguments: ["-c", command], input: .none, output: .string(limit: 1 << 20), error: .combinedWithOutput)
                return (result.terminationStatus.isSuccess, "\(result.terminationStatus): " + result.standardOutput)
            }
            group.addTask {
                try await Task.sleep(for: commandTimeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let outcome else { throw ClusterError.unavailable("`\(command)` did not finish within \(commandTimeout)") }
        guard outcome.success else { throw ClusterError.unavailable("`\(command)` failed: \(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
    }

    public func startLinkDaemon(for daemon: LinkDaemonSpec) async throws {
        guard let control else { throw ClusterError.unavailable("link daemons need the target's control API") }
        linkDaemons.append(daemon.name)
        _ = try await control.startLinkDaemon(.init(name: daemon.name, apiKey: daemon.apiKey, ttlMs: daemon.ttlMillis))
    }

    public func injectBusFault(_ fault: ControlAPI.BusFault) async throws -> Int64 {
        try await busControl().injectBusFault(fault).at
    }

    public func healBus() async throws -> Int64 { try await busControl().healBus().at }

    public func restartBus() async throws -> Int64 { try await busControl().restartBus().at }

    private func busControl() throws -> ControlClient {
        guard let control else { throw ClusterError.unavailable("bus faults need the target's control API") }
        busTouched = true
        return control
    }

    // MARK: Putting it back

    /// Starts what the run stopped or killed and resumes what it paused, stops the link daemons
    /// it started and heals the bus it faulted. Best effort: a process that cannot be put back
    /// is the next run's attach error.
    public func close() async {
        for (name, state) in states where state != .running {
            let action: ProcessAction = state == .paused ? .resume : .start
            if let command = target.faults?.command(action, name: name) {
                try? await Self.runCommand(command)
                if let process = try? await info(name) { try? await settle(process, after: action) }
            } else if let control {
                _ = try? await control.perform(action, on: name)
            }
        }
        if let control {
            for name in linkDaemons { _ = try? await control.stop(name) }
            if busTouched { _ = try? await control.healBus() }
            let list = (try? await control.processes().processes) ?? []
            for process in list where controlled.contains(process.name) && process.role != .linkDaemon && process.state != .running {
                _ = try? await control.perform(process.state == .paused ? .resume : .start, on: process.name)
            }
        }
    }
}

extension TargetDescription {
    /// The largest target file read: far above any real one, far below what could exhaust memory.
    public static let maxFileBytes = 1 << 20

    /// Reads a target file (`cluster.json` of `podsim up`, or one written by hand) and checks
    /// what the runner relies on: pods named `pod-1` … `pod-N` in that order, http URLs, and
    /// fault commands that name the process only as `{name}`.
    public static func load(from path: String) throws -> TargetDescription {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TargetFileError(path: path, problem: "cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= maxFileBytes else { throw TargetFileError(path: path, problem: "is over \(maxFileBytes / 1024) KiB; a target file is a few lines") }
        var target: TargetDescription
        do {
            target = try JSONDecoder().decode(TargetDescription.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw TargetFileError(path: path, problem: "missing \(Self.path(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw TargetFileError(path: path, problem: "\(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw TargetFileError(path: path, problem: context.codingPath.isEmpty ? "is not JSON" : "\(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw TargetFileError(path: path, problem: "\(error)")
        }
        try target.check(path: path)
        // A store named relative to the file (a compose stack's bind mount) is found from the file's directory.
        if let store = target.store, !store.hasPrefix("/") {
            target.store = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(store).standardized.path
        }
        return target
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    private func check(path: String) throws {
        func fail(_ problem: String) -> TargetFileError { TargetFileError(path: path, problem: problem) }
        guard !pods.isEmpty else { throw fail("names no pods") }
        for (index, pod) in pods.enumerated() where pod.name != "pod-\(index + 1)" {
            throw fail("pods[\(index)] is named \"\(pod.name)\"; scenarios name pods pod-1 … pod-N, in that order")
        }
        for (what, url) in pods.map({ ($0.name, $0.url) }) + [("mockAI", mockAI.url)] + (control.map { [("control", $0.url)] } ?? []) {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw fail("\(what): \"\(url)\" is not an http URL")
            }
        }
        if let profile, ServerProfile(rawValue: profile) == nil { throw fail("profile \"\(profile)\" is not seed or hosted") }
        for bug in bugs ?? [] where BugSwitch(rawValue: bug) == nil { throw fail("bugs: \"\(bug)\" is no bug switch (see `podsim bugs`)") }
        for action in ProcessAction.allCases {
            guard let template = faults?[action] else { continue }
            if template.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("faults.\(action.rawValue) is empty") }
            if !template.contains(FaultCommands.namePlaceholder) {
                throw fail("faults.\(action.rawValue) does not name the process: write \(FaultCommands.namePlaceholder) where its name goes")
            }
        }
    }
}

/// A target file that cannot be used, and why.
public struct TargetFileError: Error, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String { "target \(path): \(problem)" }
}
