import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PodsimModel

/// The control API's error: `{"error": {"message": "..."}}`.
public typealias ControlAPIError = APIError<ControlAPI.ErrorEnvelope>

/// The coordinator's control API, one method per endpoint. Like `PodClient`, it is given an
/// `HTTPClient` rather than owning one.
public struct ControlClient: Sendable {
    public var transport: APITransport<ControlAPI.ErrorEnvelope>

    public init(url: String, timeout: Duration = .seconds(60), http: HTTPClient = .shared) {
        transport = APITransport(baseURL: url, http: http, timeout: timeout)
    }

    public func processes() async throws -> ControlAPI.ProcessList { try await transport.send(Endpoint(.GET, ControlPath.processes)).value }
    public func cluster() async throws -> ClusterDescription { try await transport.send(Endpoint(.GET, ControlPath.cluster)).value }

    /// Kills, stops, starts, pauses or resumes a process; answers what became of it.
    public func perform(_ action: ProcessAction, on name: String) async throws -> ControlAPI.ProcessStatus {
        try await transport.send(Endpoint(.POST, ControlPath.process(name, action))).value
    }

    public func kill(_ name: String) async throws -> ControlAPI.ProcessStatus { try await perform(.kill, on: name) }
    public func stop(_ name: String) async throws -> ControlAPI.ProcessStatus { try await perform(.stop, on: name) }
    public func start(_ name: String) async throws -> ControlAPI.ProcessStatus { try await perform(.start, on: name) }
    public func pause(_ name: String) async throws -> ControlAPI.ProcessStatus { try await perform(.pause, on: name) }
    public func resume(_ name: String) async throws -> ControlAPI.ProcessStatus { try await perform(.resume, on: name) }

    /// Starts a link daemon (for a new account unless `apiKey` is given) and waits until its link is live.
    public func startLinkDaemon(_ body: ControlAPI.StartLinkDaemon = .init()) async throws -> ControlAPI.ProcessStatus {
        try await transport.send(Endpoint(.POST, ControlPath.linkDaemons, body: body)).value
    }

    /// Injects a bus fault (hosted clusters); answers when it took effect.
    @discardableResult
    public func injectBusFault(_ fault: ControlAPI.BusFault) async throws -> ControlAPI.BusApplied {
        try await transport.send(Endpoint(.POST, ControlPath.busFaults, body: fault)).value
    }

    /// Clears every bus fault.
    @discardableResult
    public func healBus() async throws -> ControlAPI.BusApplied { try await transport.send(Endpoint(.POST, ControlPath.busHeal)).value }

    /// Restarts the bus: the log survives, the duplicate window keeps only the ids still stored.
    @discardableResult
    public func restartBus() async throws -> ControlAPI.BusApplied { try await transport.send(Endpoint(.POST, ControlPath.busRestart)).value }
}

/// The mock provider's control calls: the calls it received (and how many), and releasing gates.
public struct MockAIControlClient: Sendable {
    public var transport: APITransport<JSONValue>

    public init(url: String, timeout: Duration = .seconds(10), http: HTTPClient = .shared) {
        transport = APITransport(baseURL: url, http: http, timeout: timeout)
    }

    public func callCount(thread: String) async throws -> Int {
        try await transport.send(Endpoint(.GET, MockAIControl.callCountPath(thread: thread), answer: MockAIControl.CallCount.self)).value.count
    }

    /// The calls the provider received, in arrival order (only `thread`'s when given).
    public func calls(thread: String? = nil) async throws -> [MockAIControl.Call] {
        try await transport.send(Endpoint(.GET, MockAIControl.callsPath(thread: thread), answer: MockAIControl.CallList.self)).value.calls
    }

    /// Forgets every call and gate, as a freshly started provider.
    public func reset() async throws {
        _ = try await transport.send(Endpoint(.POST, MockAIControl.resetPath, answer: JSONValue.self))
    }

    public func release(gate: String) async throws {
        _ = try await transport.send(Endpoint(.POST, MockAIControl.releasePath(gate: gate), answer: MockAIControl.GateReleased.self))
    }
}
