#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import PodsimCluster
import PodsimClient
import PodsimModel
import Testing

/// The control API under a racing operator and hostile input: every operation on one process is
/// serialized, every stop ends within its bound, bad requests are 4xx with a JSON error and leave
/// nothing behind.
@Suite(.serialized) struct ControlAPIHardeningTests {
    /// A running `podsim up` and its control URL.
    struct Up {
        let up: UpProcess
        let control: String

        static func start(_ arguments: [String] = []) async throws -> Up {
            let up = try UpProcess.start(["--pods", "3"] + arguments)
            let description = try await up.description()
            guard let control = description["control"]?["url"]?.stringValue else { throw SupportError("no control url") }
            return Up(up: up, control: control)
        }

        func call(_ method: String, _ path: String, body: String? = nil) async throws -> HTTPExchange {
            try await HTTPExchange.send(method, control + path, body: body, timeout: .seconds(60))
        }

        func processes() async throws -> [JSONValue] {
            guard case .array(let list)? = try await call("GET", "/processes").json?["processes"] else { throw SupportError("no process list") }
            return list
        }

        func process(_ name: String) async throws -> JSONValue? {
            try await processes().first { $0["name"]?.stringValue == name }
        }

        /// Stops the coordinator and checks every child it listed is gone.
        func stop() async throws {
            let pids = try await up.pids(control: control)
            up.process.terminate()
            up.process.waitUntilExit()
            #expect(try await waitUntilGone(pids).isEmpty)
            try? FileManager.default.removeItem(atPath: up.stateDirectory)
        }
    }

    /// The pids of live `podsim` children of the coordinator whose command line names `name`.
    static func children(of parent: Int32, named name: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard isAlive(pid), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                let ppid = stat[stat.index(after: close)...].split(separator: " ").dropFirst().first.flatMap({ Int32($0) }),
                ppid == parent,
                let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return false }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return zip(arguments, arguments.dropFirst()).contains { $0 == "--config" && $1.contains(#""name":"\#(name)""#) }
        }
    }

    /// The process table agrees with the processes that really run: one child per running
    /// name, its pid the one listed, frozen exactly when the table says paused.
    static func expectTableMatchesReality(_ up: Up, _ name: String) async throws {
        guard let entry = try await up.process(name), let state = entry["state"]?.stringValue else { throw SupportError("no \(name)") }
        let real = children(of: up.up.process.processIdentifier, named: name)
        switch state {
        case "running", "paused":
            let pid = entry["pid"]?.numberValue.map { Int32($0) }
            #expect(real == pid.map { [$0] }, "\(name) is \(state) with pid \(String(describing: pid)); live children: \(real)")
            if let pid {
                let frozen = processState(pid) == "T"
                #expect(frozen == (state == "paused"), "\(name) is \(state) but its process is \(frozen ? "" : "not ")stopped")
            }
        default:
            #expect(entry["pid"] == nil, "\(name) is \(state) but lists a pid")
            #expect(real.isEmpty, "\(name) is \(state) but \(real) still run")
        }
    }

    static func statuses(_ count: Int, _ call: @escaping @Sendable () async throws -> HTTPExchange) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count { group.addTask { try await call().status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func concurrentStartsAndStopsOfOneProcessHaveOneWinner() async throws {
        let up = try await Up.start()
        let killed = try await up.call("POST", "/processes/pod-3/kill")
        #expect(killed.status == 200)

        let starts = try await Self.statuses(6) { try await up.call("POST", "/processes/pod-3/start") }
        #expect(starts.filter { $0 == 200 }.count == 1, "starts: \(starts)")
        #expect(starts.filter { $0 == 409 }.count == 5, "starts: \(starts)")
        try await Self.expectTableMatchesReality(up, "pod-3")
        #expect(try await up.process("pod-3")?["state"]?.stringValue == "running")

        let stops = try await Self.statuses(12) { try await up.call("POST", "/processes/pod-3/stop") }
        #expect(stops.filter { $0 == 200 }.count == 1, "stops: \(stops)")
        #expect(stops.filter { $0 == 409 }.count == 11, "stops: \(stops)")
        try await Self.expectTableMatchesReality(up, "pod-3")

        let restarted = try await up.call("POST", "/processes/pod-3/start")
        #expect(restarted.status == 200, "\(restarted.body)")
        let killedAgain = try await up.call("POST", "/processes/pod-3/kill")
        #expect(killedAgain.status == 200, "a kill after the race must find the tracked child: \(killedAgain.body)")
        try await up.stop()
    }

    @Test func mixedConcurrentOperationsLeaveTheTableTrue() async throws {
        let up = try await Up.start()
        let actions = ["kill", "start", "stop", "pause", "resume"]
        for round in 0..<6 {
            // A fixed schedule that mixes every action in every round, in a different order each time.
            let burst = (0..<8).map { actions[(round * 3 + $0 * 7) % actions.count] }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for action in burst { group.addTask { try await up.call("POST", "/processes/pod-2/\(action)").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(burst) answered \(statuses)")
            try await Self.expectTableMatchesReality(up, "pod-2")
        }
        try await up.stop()
    }

    @Test func controlCodesMatchTheREADME() async throws {
        let up = try await Up.start()
        let unknown = try await up.call("POST", "/processes/nope/resume")
        #expect(unknown.status == 404)
        #expect(unknown.json?["error"]?["message"]?.stringValue?.contains("nope") == true, "\(unknown.body)")
        #expect(try await up.call("POST", "/processes/pod-1/resume").status == 409)
        #expect(try await up.call("POST", "/processes/pod-1/pause").status == 200)
        #expect(try await up.call("POST", "/processes/pod-1/pause").status == 409)
        #expect(try await up.call("POST", "/processes/pod-1/resume").status == 200)
        #expect(try await up.call("POST", "/processes/pod-1/start").status == 409)
        #expect(try await up.call("POST", "/processes/pod-1/dance").status == 400)

        let noRoute = try await up.call("GET", "/nope")
        #expect(noRoute.status == 404)
        #expect(noRoute.json?["error"]?["message"]?.stringValue?.contains("/nope") == true, "unknown route body: '\(noRoute.body)'")
        try await up.stop()
    }

    @Test func badLinkDaemonRequestsAre4xxAndLeaveNothingBehind() async throws {
        let up = try await Up.start()
        let escapeTarget = FileManager.default.temporaryDirectory.path + "/podsim-escape-" + UUID().uuidString.prefix(8)
        let before = try await up.processes().count
        let bodies = [
            #"{"ttlMs":0}"#, #"{"ttlMs":-1}"#, #"{"ttlMs":9223372036854775807}"#, #"{"ttlMs":1e30}"#,
            #"{"name":"../../../../\#(escapeTarget.dropFirst())/escaped"}"#, #"{"name":""}"#, #"{"name":"a/b"}"#,
            #"{"name":"a\u0000b"}"#, #"{"name":"-x"}"#, #"{"name":"\#(String(repeating: "a", count: 5000))"}"#,
            #"{"apiKey":"garbage"}"#, #"{"apiKey":""}"#, #"{"name":"pod-1"}"#, "not json", "",
        ]
        for body in bodies {
            let answer = try await up.call("POST", "/link-daemons", body: body)
            #expect((400..<500).contains(answer.status), "\(body.prefix(60)) answered \(answer.status)")
            #expect(answer.json?["error"]?["message"]?.stringValue?.isEmpty == false, "\(body.prefix(60)) answered '\(answer.body.prefix(200))'")
        }
        #expect(try await up.processes().count == before, "a refused request left an entry in /processes")
        #expect(!FileManager.default.fileExists(atPath: escapeTarget), "a name escaped the state directory")
        let logs = try FileManager.default.contentsOfDirectory(atPath: up.up.stateDirectory + "/logs")
        #expect(Set(logs) == ["mock-ai.log", "pod-1.log", "pod-2.log", "pod-3.log"], "\(logs)")

        // With pod-1 down, the account is created through another pod; with none, a 503.
        #expect(try await up.call("POST", "/processes/pod-1/stop").status == 200)
        let viaPod2 = try await up.call("POST", "/link-daemons", body: #"{"name":"ld-a"}"#)
        #expect(viaPod2.status == 201, "\(viaPod2.body)")
        for pod in ["pod-2", "pod-3"] { #expect(try await up.call("POST", "/processes/\(pod)/stop").status == 200) }
        let noPod = try await up.call("POST", "/link-daemons", body: #"{"name":"ld-b"}"#)
        #expect(noPod.status == 503, "\(noPod.body)")
        #expect(noPod.json?["error"]?["message"]?.stringValue?.isEmpty == false)
        #expect(try await up.process("ld-b") == nil)
        try await up.stop()
    }

    @Test func aLongTTLLinkDaemonStopsAtOnceAndUpExitsInAboutASecond() async throws {
        let up = try await Up.start(["--link-daemon", "--link-ttl-ms", "600000"])
        let started = try await up.call("POST", "/link-daemons", body: #"{"name":"ld","ttlMs":600000}"#)
        #expect(started.status == 201, "\(started.body)")
        let stopClock = ContinuousClock.now
        let stopped = try await up.call("POST", "/processes/ld/stop")
        let stopTook = ContinuousClock.now - stopClock
        #expect(stopped.status == 200)
        #expect(stopTook < .seconds(2), "stopping a link daemon with a 10-minute TTL took \(stopTook)")

        let pids = try await up.up.pids(control: up.control)
        let shutdownClock = ContinuousClock.now
        up.up.process.terminate()
        let exited = try await eventually(timeout: .seconds(30), every: .milliseconds(10)) { !up.up.process.isRunning }
        let shutdownTook = ContinuousClock.now - shutdownClock
        #expect(exited)
        #expect(shutdownTook < .seconds(2), "up with a link daemon took \(shutdownTook) to exit")
        #expect(try await waitUntilGone(pids, timeout: .seconds(1)).isEmpty)
        try? FileManager.default.removeItem(atPath: up.up.stateDirectory)
    }

    @Test func terminateKillsAChildThatIgnoresSIGTERM() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-term-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stubborn = LaunchSpec(
            name: "stubborn", role: .pod, port: 0, executable: "/bin/sh",
            arguments: ["-c", "trap '' TERM; while :; do sleep 0.05; done"], environment: [:],
            logPath: directory + "/stubborn.log", healthPath: "/")
        let child = try await Launcher.spawn(stubborn)
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock.now
        let outcome = await withTaskGroup(of: String?.self) { group in
            group.addTask { await Launcher.terminate(child, grace: .milliseconds(300)) }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { Launcher.signal(child.pid, SIGKILL) }
            group.cancelAll()
            return first
        }
        #expect(outcome != nil, "terminate did not return within 10 s for a child that ignores SIGTERM")
        #expect(ContinuousClock.now - clock < .seconds(5))
        #expect(!isAlive(child.pid))
    }
}
