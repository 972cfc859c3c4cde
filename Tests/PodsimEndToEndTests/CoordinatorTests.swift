#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodsimCluster
import PodsimClient
import PodsimModel
import Testing

/// `podsim up` as a user runs it: a separate coordinator process.
struct UpProcess {
    let process: Process
    let stateDirectory: String
    let output: Pipe

    static func start(_ arguments: [String] = []) throws -> UpProcess {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-up-" + UUID().uuidString.prefix(8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try podsimBinary())
        process.arguments = ["up", "--state-dir", directory] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return UpProcess(process: process, stateDirectory: directory, output: output)
    }

    /// Waits for cluster.json (written once every process is live).
    func description(timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        let path = stateDirectory + "/cluster.json"
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: path), let json = try? JSONDecoder().decode(JSONValue.self, from: data) {
                return json
            }
            if !process.isRunning { throw SupportError("podsim up exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SupportError("no cluster.json after \(timeout)")
    }

    func pids(control: String) async throws -> [Int32] {
        let listing = try await HTTPExchange.send("GET", control + "/processes")
        guard case .array(let processes)? = listing.json?["processes"] else { throw SupportError("processes: \(listing.body)") }
        return processes.compactMap { $0["pid"]?.numberValue.map { Int32($0) } }
    }
}

/// Whether a pid is still a live process (a zombie awaiting its new parent counts as gone).
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

func waitUntilGone(_ pids: [Int32], timeout: Duration = .seconds(10)) async throws -> [Int32] {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if !pids.contains(where: isAlive) { return [] }
        try await Task.sleep(for: .milliseconds(50))
    }
    return pids.filter(isAlive)
}

extension EndToEnd {
    @Suite struct Coordinator {
        @Test func clusterJSONAndControlAPI() async throws {
            let up = try UpProcess.start(["--pods", "2"])
            defer { try? FileManager.default.removeItem(atPath: up.stateDirectory) }
            defer { if up.process.isRunning { up.process.terminate() } }
            let description = try await up.description()
            #expect(description["stateDir"]?.stringValue == up.stateDirectory)
            #expect(description["store"]?.stringValue == up.stateDirectory + "/store.sqlite")
            #expect(description["mockAI"]?["url"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
            guard case .array(let pods)? = description["pods"] else { throw SupportError("no pods in \(description)") }
            #expect(pods.map { $0["name"]?.stringValue } == ["pod-1", "pod-2"])
            let control = try #require(description["control"]?["url"]?.stringValue)
            let pod2 = try #require(pods[1]["url"]?.stringValue)

            let killed = try await HTTPExchange.send("POST", control + "/processes/pod-2/kill")
            #expect(killed.status == 200)
            #expect(killed.json?["state"]?.stringValue == "exited")
            #expect((try? await HTTPExchange.send("GET", pod2 + "/health/live", timeout: .seconds(1)))?.status != 200)
            let started = try await HTTPExchange.send("POST", control + "/processes/pod-2/start")
            #expect(started.status == 200)
            #expect(started.json?["state"]?.stringValue == "running")
            #expect(try await HTTPExchange.send("GET", pod2 + "/health/live").status == 200, "restarted on the same port")

            #expect(try await HTTPExchange.send("POST", control + "/processes/pod-1/pause").json?["state"]?.stringValue == "paused")
            #expect(try await HTTPExchange.send("POST", control + "/processes/pod-1/resume").json?["state"]?.stringValue == "running")
            let stopped = try await HTTPExchange.send("POST", control + "/processes/pod-1/stop")
            #expect(stopped.json?["state"]?.stringValue == "stopped")
            #expect(try await HTTPExchange.send("POST", control + "/processes/pod-9/kill").status == 404)
            #expect(try await HTTPExchange.send("POST", control + "/processes/pod-1/explode").status == 400)
            #expect(try await HTTPExchange.send("POST", control + "/processes/pod-1/pause").status == 409)

            let pids = try await up.pids(control: control)
            up.process.interrupt()
            up.process.waitUntilExit()
            #expect(up.process.terminationStatus == 0)
            #expect(try await waitUntilGone(pids).isEmpty)
        }

        @Test func linkDaemonsFromTheCommandLineAndTheControlAPI() async throws {
            let up = try UpProcess.start(["--pods", "2", "--link-daemon", "--link-ttl-ms", "500"])
            defer { try? FileManager.default.removeItem(atPath: up.stateDirectory) }
            defer { if up.process.isRunning { up.process.terminate() } }
            let description = try await up.description()
            let control = try #require(description["control"]?["url"]?.stringValue)
            let pod1 = try #require(description["pods"].flatMap { if case .array(let pods) = $0 { pods.first } else { nil } }?["url"]?.stringValue)
            guard case .array(let daemons)? = description["linkDaemons"], let first = daemons.first else {
                throw SupportError("no link daemon in \(description)")
            }
            #expect(first["name"]?.stringValue == "link-1")
            let firstKey = try #require(first["account"]?["apiKey"]?.stringValue)
            let links = try await HTTPExchange.send("GET", pod1 + "/api/links", headers: ["authorization": "Bearer \(firstKey)"])
            guard case .array(let registered)? = links.json?["links"] else { throw SupportError("links: \(links.body)") }
            #expect(registered.count == 1)
            #expect(registered.first?["live"] == .bool(true), "up --link-daemon registers a live link: \(links.body)")

            let started = try await HTTPExchange.send("POST", control + "/link-daemons", body: #"{"name":"laptop","ttlMs":500}"#)
            #expect(started.status == 201, "\(started.body)")
            #expect(started.json?["role"]?.stringValue == "link-daemon")
            let listing = try await HTTPExchange.send("GET", control + "/processes")
            #expect(listing.body.contains(#""name":"laptop""#))
            let duplicate = try await HTTPExchange.send("POST", control + "/link-daemons", body: #"{"name":"laptop"}"#)
            #expect(duplicate.status == 409)

            #expect(try await HTTPExchange.send("POST", control + "/processes/link-1/kill").status == 200)
            let offline = try await eventually(timeout: .seconds(5)) {
                let links = try await HTTPExchange.send("GET", pod1 + "/api/links", headers: ["authorization": "Bearer \(firstKey)"])
                return links.json?["links"]?.firstLink?["live"] != .bool(true)
            }
            #expect(offline, "a killed daemon's link goes offline after its TTL")
            let restarted = try await HTTPExchange.send("POST", control + "/processes/link-1/start")
            #expect(restarted.json?["state"]?.stringValue == "running")

            let pids = try await up.pids(control: control)
            #expect(pids.count == 5, "two pods, the mock provider and two link daemons")
            up.process.interrupt()
            up.process.waitUntilExit()
            #expect(up.process.terminationStatus == 0)
            #expect(try await waitUntilGone(pids).isEmpty)
        }

        @Test func noChildOutlivesASIGKILLedCoordinator() async throws {
            let up = try UpProcess.start(["--pods", "3"])
            defer { try? FileManager.default.removeItem(atPath: up.stateDirectory) }
            let description = try await up.description()
            let control = try #require(description["control"]?["url"]?.stringValue)
            let pids = try await up.pids(control: control)
            #expect(pids.count == 4, "three pods and the mock provider")
            kill(up.process.processIdentifier, SIGKILL)
            up.process.waitUntilExit()
            let survivors = try await waitUntilGone(pids)
            #expect(survivors.isEmpty, "still alive: \(survivors)")
        }

        @Test func anUnknownSandboxRunnerFailsUpBeforeAnythingStarts() async throws {
            let up = try UpProcess.start(["--pods", "1", "--env", "STUDIO_SANDBOX_RUNNER=kubernetes"])
            defer { try? FileManager.default.removeItem(atPath: up.stateDirectory) }
            up.process.waitUntilExit()
            let output = String(decoding: up.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(up.process.terminationStatus != 0)
            #expect(output.contains("STUDIO_SANDBOX_RUNNER=kubernetes is not a sandbox kind"), "\(output)")
        }

        @Test func aChildThatDiesAtStartFailsBootWithItsLog() async throws {
            let directory = FileManager.default.temporaryDirectory.path + "/podsim-dies-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let script = directory + "/dies.sh"
            try "#!/bin/sh\necho \"refusing to start as $1\" >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
            let spec = ClusterSpec(pods: 1, stateDirectory: directory + "/state", executable: script)
            do {
                _ = try await Cluster.boot(spec)
                Issue.record("a cluster whose children exit at once booted")
            } catch {
                let message = "\(error)"
                #expect(message.contains("did not become live"), "\(message)")
                #expect(message.contains("refusing to start as"), "the log tail is missing: \(message)")
            }
        }
    }
}

extension JSONValue {
    /// The first element of an array value.
    fileprivate var firstLink: JSONValue? {
        if case .array(let items) = self { return items.first }
        return nil
    }
}
