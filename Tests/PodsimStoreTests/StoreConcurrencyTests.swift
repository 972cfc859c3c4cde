import Foundation
import PodsimStore
import Testing

@Suite struct StoreConcurrencyTests {
    @Test func manyConnectionsWritingAtOnceNeverSurfaceBusy() async throws {
        let fixture = try StoreFixture()
        let stores = try (0..<4).map { _ in try Store.open(at: fixture.path) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    for message in 0..<100 {
                        _ = try store.enqueueRun(
                            threadId: fixture.threadId, orgId: fixture.org.org.id, userId: fixture.org.user.id,
                            message: ChatMessage(id: "\(index)-\(message)", threadId: fixture.threadId, role: "user", text: "x", createdAt: 0),
                            providerKind: "docker")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try fixture.store.threadSummary(id: fixture.threadId)?.runCount == 400)
    }

    @Test func openingAStoreThatWasNeverCreatedFails() {
        #expect(throws: StoreError.self) { try Store.open(at: "/nonexistent/podsim/store.sqlite") }
    }

    @Test func sessionsAndLinksLiveInTheStore() throws {
        let fixture = try StoreFixture()
        let other = try Store.open(at: fixture.path)
        let session = try fixture.store.createSession(for: fixture.org.apiKey)
        #expect(try other.session(token: session.token) == session)
        #expect(try other.deleteSession(token: session.token))
        #expect(try fixture.store.session(token: session.token) == nil)
        let link = try fixture.store.registerLink(
            userId: fixture.org.user.id, orgId: fixture.org.org.id, url: "http://127.0.0.1:1", capabilities: ["decopilot-sandbox"], ttlMs: 60_000)
        #expect(try other.liveLink(userId: fixture.org.user.id)?.id == link.id)
        #expect(try other.deleteLink(id: link.id, userId: fixture.org.user.id))
        #expect(try fixture.store.liveLink(userId: fixture.org.user.id) == nil)
    }

    @Test func changeSignalsCrossSockets() async throws {
        let receiver = try ChangeSignalSocket()
        let sender = try ChangeSignalSocket()
        defer {
            receiver.close()
            sender.close()
        }
        let signals = receiver.signals()
        let expected: [ChangeSignal] = [.chunks(threadId: "t-1"), .runsAvailable, .cancel(runId: 42)]
        for signal in expected { sender.send(signal, to: [receiver.port]) }
        var received: [ChangeSignal] = []
        for await signal in signals {
            received.append(signal)
            if received.count == expected.count { break }
        }
        #expect(received == expected)
    }
}
