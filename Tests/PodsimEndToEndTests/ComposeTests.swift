#if canImport(Glibc)
import Glibc
#endif
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PodsimModel
import Testing
import Yams

/// One service of `compose/docker-compose.yml`, as far as podsim cares.
private struct ComposeService {
    var name: String
    var command: [String]
    var environment: [String: String]
    var healthURL: String
    var restart: String?
    var networkMode: String?
}

private func composeServices() throws -> [ComposeService] {
    let text = try String(contentsOfFile: packageRoot.path + "/compose/docker-compose.yml", encoding: .utf8)
    guard let root = try Yams.load(yaml: text) as? [String: Any], let services = root["services"] as? [String: Any] else {
        throw SupportError("compose/docker-compose.yml has no services")
    }
    return try services.keys.sorted().map { name in
        guard let service = services[name] as? [String: Any], let command = service["command"] as? [String],
            let health = service["healthcheck"] as? [String: Any], let test = health["test"] as? [String], let url = test.last
        else { throw SupportError("service \(name) lacks a command or a health check") }
        return ComposeService(
            name: name, command: command, environment: service["environment"] as? [String: String] ?? [:], healthURL: url, restart: service["restart"] as? String, networkMode: service["network_mode"] as? String)
    }
}

extension EndToEnd {
    /// `compose/`: no Docker engine runs here, so the stack's command lines run as plain
    /// processes (its `/state` volume a temporary directory) and its target file drives them.
    @Suite(.serialized) struct ComposeStack {
        @Test func everyCommandLineRunsAndTheTargetFileDrivesTheStack() async throws {
            let services = try composeServices()
            #expect(services.map(\.name) == ["mock-ai", "pod-1", "pod-2", "pod-3"])
            for service in services {
                #expect(service.restart == "no", "\(service.name) never restarts on its own")
                #expect(service.networkMode == "host", "\(service.name) binds the host's loopback")
            }
            let state = temporaryPath("compose-state")
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            var started: [Process] = []
            defer {
                for process in started where process.isRunning { process.terminate() }
                for process in started { process.waitUntilExit() }
                try? FileManager.default.removeItem(atPath: state)
            }
            // In the compose file's order of dependencies: the provider, the pod that creates the store, the others.
            for service in services {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: try podsimBinary())
                process.arguments = service.command.map { $0.replacingOccurrences(of: "/state/", with: state + "/") }
                process.environment = ProcessInfo.processInfo.environment.merging(service.environment) { $1 }
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
                process.standardError = FileHandle(forWritingAtPath: "/dev/null")
                try process.run()
                started.append(process)
                let live = try await eventually(timeout: .seconds(20)) {
                    #expect(process.isRunning, "podsim \(service.command.joined(separator: " ")) keeps running")
                    guard process.isRunning, let url = URL(string: service.healthURL) else { return false }
                    return (try? await URLSession.shared.data(from: url).1 as? HTTPURLResponse)?.statusCode == 200
                }
                #expect(live, "\(service.name) answers its health check \(service.healthURL)")
                guard live else { return }
            }

            // The target file, its store moved to where this test put the volume, runs scenarios on the stack.
            let targetText = try String(contentsOfFile: packageRoot.path + "/compose/target.json", encoding: .utf8)
            var target = try JSONDecoder().decode(TargetDescription.self, from: Data(targetText.utf8))
            #expect(target.pods.map(\.name) == ["pod-1", "pod-2", "pod-3"])
            #expect(target.store == "state/store.sqlite")
            for action in ProcessAction.allCases {
                let command = try #require(target.faults?[action], "a \(action.rawValue) command")
                #expect(command.hasPrefix("docker compose -f compose/docker-compose.yml ") && command.hasSuffix(" {name}"))
            }
            // Without docker, the stack cannot be faulted: a scenario that restarts a pod is skipped.
            target.store = state + "/store.sqlite"
            target.faults = nil
            let file = state + "/target.json"
            try JSONEncoder().encode(target).write(to: URL(fileURLWithPath: file))
            let result = try await podsim(
                ["run", "Scenarios/cluster-smoke.yaml", "Scenarios/attach-cross-pod.yaml", "Scenarios/post-messages-without-link-daemon.yaml", "--target", file],
                in: packageRoot)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("- cluster-smoke skipped: needs to stop, start processes; the target has no control URL or faults command for it"))
            #expect(result.output.contains("2 passed, 0 failed, 1 skipped"), "\(result.output)")
        }

        @Test func aPodStartedByHandRefusesIncompleteOrMixedOptions() async throws {
            for (arguments, message) in [
                (["pod", "--name", "pod-1", "--port", "18081"], "give --config, or --name, --port, --store and --provider"),
                (["pod", "--name", "web", "--port", "1", "--store", "/tmp/x", "--provider", "http://127.0.0.1:1"], "--name must be pod-1 … pod-N (got web)"),
                (["pod", "--name", "pod-1", "--port", "70000", "--store", "/tmp/x", "--provider", "http://127.0.0.1:1"], "--port must be between 1 and 65535"),
                (["pod", "--config", "{}", "--name", "pod-1"], "--config carries the whole configuration; give it alone"),
            ] {
                let result = try await podsim(arguments)
                #expect(result.status == 64, "\(arguments)")
                #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            }
        }
    }
}
