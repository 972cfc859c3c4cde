#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodsimModel
import PodsimServer
import Subprocess
import Synchronization
import SystemPackage

/// How to (re)start one child: the same name, port, arguments and environment every time.
struct LaunchSpec: Sendable {
    let name: String
    let role: ProcessRole
    let port: Int
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let logPath: String
    let healthPath: String

    var url: String { "http://127.0.0.1:\(port)" }
}

/// One running child: its pid and a task that finishes when it exits.
struct RunningChild: Sendable {
    let pid: Int32
    let exit: Task<String, Never>
}

enum Launcher {
    /// Spawns the child in its own process group (so a terminal's Ctrl-C reaches only the
    /// coordinator, which then stops its children in order), with stdout and stderr appended
    /// to its log file and no stdin.
    static func spawn(_ spec: LaunchSpec) async throws -> RunningChild {
        let out = try FileDescriptor.open(
            FilePath(spec.logPath), .writeOnly, options: [.create, .append], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        let err = try FileDescriptor.open(
            FilePath(spec.logPath), .writeOnly, options: [.create, .append], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        var options = PlatformOptions()
        options.processGroupID = 0
        var environment: [Environment.Key: String?] = [:]
        for (key, value) in spec.environment { environment[Environment.Key(stringLiteral: key)] = value }
        let (pids, pidContinuation) = AsyncStream.makeStream(of: Int32.self)
        let executable = spec.executable
        let arguments = spec.arguments
        let exit = Task<String, Never> {
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments),
                    environment: .inherit.updating(environment), platformOptions: options, input: .none,
                    output: .fileDescriptor(out, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(err, closeAfterSpawningProcess: true)
                ) { execution in
                    pidContinuation.yield(execution.processIdentifier.value)
                    pidContinuation.finish()
                }
                return "\(result.terminationStatus)"
            } catch {
                pidContinuation.finish()
                return "failed to launch: \(error)"
            }
        }
        var iterator = pids.makeAsyncIterator()
        guard let pid = await iterator.next() else {
            throw ClusterError.launchFailed(spec.name, await exit.value)
        }
        return RunningChild(pid: pid, exit: exit)
    }

    /// Signals the child's process group (the child leads its own), so anything it started
    /// gets the signal too.
    static func signal(_ pid: Int32, _ signal: Int32) {
        kill(-pid, signal)
    }

    /// Asks a child to stop itself at a quiet point (`PauseOnRequest`) and waits until it is
    /// stopped: false when it did not stop in time or exited. A child stops itself within
    /// `PauseOnRequest.staleAfter` of the request or not at all, so after this wait it never
    /// stops on its own.
    static func requestPause(_ pid: Int32) async -> Bool {
        kill(pid, PauseOnRequest.requestSignal)
        return await waitStopped(pid, upTo: PauseOnRequest.staleAfter + .seconds(1))
    }

    /// Waits until the process is stopped (SIGSTOP took effect): false when it did not within
    /// `limit` or is gone.
    @discardableResult
    static func waitStopped(_ pid: Int32, upTo limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            switch processState(pid) {
            case "T": return true
            case nil, "Z", "X": return false
            default: try? await Task.sleep(for: .milliseconds(1))
            }
        }
        return false
    }

    /// SIGTERM (after SIGCONT, so a paused child can act on it), then SIGKILL if the child is
    /// still alive after `grace`, whatever it does with SIGTERM. Returns the exit status.
    static func terminate(_ child: RunningChild, grace: Duration) async -> String {
        signal(child.pid, SIGCONT)
        signal(child.pid, SIGTERM)
        let escalation = Task {
            try await Task.sleep(for: grace)
            signal(child.pid, SIGKILL)
        }
        let status = await child.exit.value
        escalation.cancel()
        return status
    }
}

/// The state letter of `/proc/PID/stat` (R, S, D, T when stopped, Z …); nil when the process is gone.
public func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let afterName = stat.lastIndex(of: ")") else {
        return nil
    }
    return stat[afterName...].dropFirst().first { $0 != " " }
}

/// A free TCP port on loopback for a child to listen on.
///
/// Ports come from below the kernel's ephemeral range, so an outgoing connection (of which a
/// scenario makes many) can never take a port between the moment it is chosen and the moment
/// the child binds it. Each port is handed out once per coordinator process.
func freeLoopbackPort() throws -> Int {
    let ephemeralStart = ephemeralPortRangeStart()
    guard ephemeralStart > 11_000 else { return try kernelChosenPort() }
    for _ in 0..<500 {
        let port = Int.random(in: 10_000..<ephemeralStart)
        let fresh = handedOutPorts.withLock { $0.insert(port).inserted }
        if fresh, canBind(port) { return port }
    }
    return try kernelChosenPort()
}

private let handedOutPorts = Mutex<Set<Int>>([])

/// The first port of `net.ipv4.ip_local_port_range` (32768 when it cannot be read).
private func ephemeralPortRangeStart() -> Int {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
}

/// Binds a socket to 127.0.0.1:`port` (0: any) and returns the bound port, or nil.
private func bindLoopback(_ port: Int) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in.loopback(port: port)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { return nil }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

private func canBind(_ port: Int) -> Bool { bindLoopback(port) != nil }

private func kernelChosenPort() throws -> Int {
    guard let port = bindLoopback(0) else { throw ClusterError.noPort }
    return port
}

/// The last lines of a log file, for error reports.
public func logTail(_ path: String, lines: Int = 20) -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
}

/// Why a cluster operation failed; each message says what to look at.
public enum ClusterError: Error, CustomStringConvertible {
    case noPort
    case launchFailed(String, String)
    case notLive(String, reason: String, logPath: String)
    case unknownProcess(String)
    case invalidState(String, String)
    /// A request that can never succeed as given (a bad name, TTL or key).
    case invalidRequest(String)
    /// Something the operation needs (a running pod) is not there.
    case unavailable(String)

    public var description: String {
        switch self {
        case .noPort: "could not find a free loopback port"
        case .launchFailed(let name, let reason): "\(name) could not be launched: \(reason)"
        case .notLive(let name, let reason, let logPath):
            "\(name) did not become live: \(reason)\n--- last lines of \(logPath) ---\n\(logTail(logPath))"
        case .unknownProcess(let name): "no process named \(name)"
        case .invalidState(let name, let detail): "\(name): \(detail)"
        case .invalidRequest(let detail), .unavailable(let detail): detail
        }
    }
}
