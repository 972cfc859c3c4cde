import Logging
import PodsimModel
import ServiceLifecycle
import Testing

@testable import PodsimMockAI

/// Whether the service group running the provider has returned.
private actor Finished {
    private(set) var value = false

    func set() {
        value = true
    }
}

@Suite struct GracefulShutdownTests {
    /// A stream held on a gate and one sleeping for minutes must not keep a graceful shutdown
    /// (what SIGTERM triggers) waiting: both are dropped and the server returns promptly.
    @Test func heldAndSlowStreamsDoNotBlockShutdown() async throws {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try makeMockAIApplication(MockAIConfiguration(), onListening: { portContinuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "mock-ai-test")))
        let finished = Finished()
        let server = Task {
            try await group.run()
            await finished.set()
        }
        defer { server.cancel() }
        guard let port = await ports.first(where: { _ in true }) else { throw TestFailure("no port") }
        let ai = MockAIClient(baseURL: "http://127.0.0.1:\(port)")

        let heldSeen = SeenEvents()
        let slowSeen = SeenEvents()
        async let held = ai.chat(chatBody([userMessage("hold:g slow:3x0")])) { await heldSeen.append($0) }
        async let slow = ai.chat(chatBody([userMessage("slow:3x600000")])) { await slowSeen.append($0) }
        #expect(
            try await eventually {
                try await ai.getJSON("/control/gates") == ["gates": [["name": "g", "released": false, "waiting": 1]]]
            })
        #expect(
            try await eventually {
                let heldCount = await heldSeen.payloads.count
                let slowCount = await slowSeen.payloads.count
                return heldCount == 2 && slowCount == 1
            })

        await group.triggerGracefulShutdown()
        #expect(try await eventually(timeout: .seconds(10)) { await finished.value }, "shutdown took too long")
        let heldStream = try await held
        let slowStream = try await slow
        #expect(heldStream.failure != nil)
        #expect(!heldStream.events.contains("[DONE]"))
        #expect(slowStream.failure != nil)
        #expect(slowStream.events.count == 1)
        try await server.value
    }
}
