import AsyncHTTPClient
import Foundation
import NIOCore
import PodsimModel
import PodsimStore

/// A provisioned sandbox a run's VM-backed tools execute in.
enum SandboxHandle: Sendable {
    /// Simulated next to the pod (docker or agent-sandbox).
    case local(kind: SandboxKind, id: String)
    /// On the user's machine, through their link daemon.
    case link(url: String, sandboxId: String)
}

/// Why provisioning or a tool failed; becomes a `tool-output-error` (or, with
/// `eager-ensure-vm`, the historical 500).
struct SandboxError: Error, CustomStringConvertible {
    let description: String
}

/// Provisions sandboxes per provider kind and runs tools in them.
struct Sandboxes: Sendable {
    let store: Store
    let http: HTTPClient
    let podName: String
    let dockerAvailable: Bool

    /// Tools that need a sandbox; anything else runs in the pod itself.
    static let vmBackedTools: Set<String> = ["bash", "read", "write", "edit", "grep", "glob", "ls"]

    func provision(kind: SandboxKind, userId: String, threadId: String, runId: Int64) async throws -> SandboxHandle {
        let handle: SandboxHandle
        switch kind {
        case .docker:
            guard dockerAvailable else {
                throw SandboxError(description: "Docker is not available to \(podName): cannot provision a docker sandbox")
            }
            handle = .local(kind: .docker, id: "docker-\(UUID().uuidString.prefix(8).lowercased())")
        case .agentSandbox:
            handle = .local(kind: .agentSandbox, id: "agent-sandbox-\(UUID().uuidString.prefix(8).lowercased())")
        case .remoteUser:
            guard let link = try await store.liveLink(userId: userId) else {
                throw SandboxError(description: "No link daemon registered for user \"\(userId)\". Run `deco link` on your machine, or set STUDIO_SANDBOX_RUNNER.")
            }
            struct Provisioned: Decodable { var sandboxId: String }
            let provisioned: Provisioned = try await post(
                link.url + "/sandbox/provision", body: ["threadId": .string(threadId), "runId": .number(Double(runId))])
            handle = .link(url: link.url, sandboxId: provisioned.sandboxId)
        }
        try await store.recordSandbox(threadId: threadId, runId: runId, kind: kind.rawValue, pod: podName)
        return handle
    }

    func execute(tool: String, input: JSONValue, in handle: SandboxHandle) async throws -> JSONValue {
        switch handle {
        case .local(let kind, let id):
            return ["sandbox": .string(id), "kind": .string(kind.rawValue), "tool": .string(tool), "stdout": "hello\n", "exitCode": 0]
        case .link(let url, let sandboxId):
            struct Executed: Decodable { var output: JSONValue }
            let executed: Executed = try await post(
                url + "/sandbox/exec", body: ["sandboxId": .string(sandboxId), "tool": .string(tool), "input": input])
            return executed.output
        }
    }

    private func post<T: Decodable>(_ url: String, body: JSONValue) async throws -> T {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(5))
        } catch {
            throw SandboxError(description: "link daemon at \(url) is unreachable: \(error)")
        }
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw SandboxError(description: "link daemon answered \(response.status.code): \(String(buffer: data))")
        }
        return try JSONDecoder().decode(T.self, from: Data(data.readableBytesView))
    }
}
