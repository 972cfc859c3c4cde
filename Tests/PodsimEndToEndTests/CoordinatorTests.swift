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
        try await ControlClient(url: control).processes().processes.compactMap(\.pid)
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

            let client = ControlClient(url: control)
            #expect(try await client.kill("pod-2").state == .exited)
            #expect((try? await PodClient(url: pod2, timeout: .seconds(1)).live()) == nil)
            #expect(try await client.start("pod-2").state == .running)
            #expect(try await PodClient(url: pod2).live().status == "ok", "restarted on the same port")

            #expect(try await client.pause("pod-1").state == .paused)
            #expect(try await client.resume("pod-1").state == .running)
            #expect(try await client.stop("pod-1").state == .stopped)
            let unknown = await #expect(throws: ControlAPIError.self) { try await client.kill("pod-9") }
            #expect(unknown?.status == 404)
            #expect(unknown?.body?.error.message.contains("pod-9") == true, "\(unknown?.text ?? "")")
            // An action outside the API's enumeration can only be sent raw.
            #expect(try await HTTPExchange.send("POST", control + "/processes/pod-1/explode").status == 400)
            let stopped = await #expect(throws: ControlAPIError.self) { try await client.pause("pod-1") }
            #expect(stopped?.status == 409)

            let pids = try await up.pids(control: control)
            up.process.interrupt()
            up.process.waitUntilExit()
            #expect(up.process.terminationStatus == 0)
            #expect(try await waitUntilGone(pids).isEmpty)
        }

        @Test func upTakesTheProfileAndWritesItToClusterJSON() async throws {
            let up = try UpProcess.start(["--pods", "1", "--profile", "hosted"])
            defer { try? FileManager.default.removeItem(atPath: up.stateDirectory) }
            defer { if up.process.isRunning { up.process.terminate() } }
            #expect(try await up.description()["profile"]?.stringValue == "hosted")
            let bad = try await podsim(["up", "--profile", "hostd"])
            #expect(bad.status == 64, "an unknown profile is a usage error")
            #expect(bad.errors.contains("hostd"), "\(bad.errors)")
            for knob in [["--run-cap", "0"], ["--idle-timeout-ms", "0"], ["--conductor-ms", "86400001"]] {
                let refused = try await podsim(["up", "--profile", "hosted"] + knob)
                #expect(refused.status == 64, "\(knob)")
                #expect(refused.errors.contains(knob[0]), "\(refused.errors)")
            }
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
            let pod = PodClient(url: pod1, credential: .apiKey(firstKey))
            let registered = try await pod.links().links
            #expect(registered.count == 1)
            #expect(registered.first?.live == true, "up --link-daemon registers a live link: \(registered)")

            let client = ControlClient(url: control)
            let started = try await client.startLinkDaemon(.init(name: "laptop", ttlMs: 500))
            #expect(started.role == .linkDaemon)
            #expect(try await client.processes().processes.contains { $0.name == "laptop" })
            let duplicate = await #expect(throws: ControlAPIError.self) { try await client.startLinkDaemon(.init(name: "laptop")) }
            #expect(duplicate?.status == 409)

            #expect(try await client.kill("link-1").name == "link-1")
            let offline = try await eventually(timeout: .seconds(5)) { try await pod.links().links.first?.live != true }
            #expect(offline, "a killed daemon's link goes offline after its TTL")
            #expect(try await client.start("link-1").state == .running)

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
            // Paused children too: a stopped process notices nothing until the kernel, finding
            // its group orphaned, sends it SIGHUP and SIGCONT.
            let client = ControlClient(url: control)
            #expect(try await client.pause("pod-1").state == .paused)
            #expect(try await client.pause("mock-ai").state == .paused)
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
