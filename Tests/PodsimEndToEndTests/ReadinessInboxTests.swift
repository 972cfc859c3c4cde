#if canImport(Glibc)
import Glibc
#endif
@testable import PodsimCluster
import PodsimServer
import Testing

/// The coordinator's readiness inbox: a child's notice (its pid over loopback UDP) ends the wait
/// for that pid, a notice that came first is kept for the next wait, and a wait without one ends
/// at its timeout.
@Suite struct ReadinessInboxTests {
    @Test func aNoticeEndsTheWaitForItsPid() async throws {
        let inbox = try ReadinessInbox()
        defer { inbox.close() }
        async let rang = inbox.wait(for: getpid(), upTo: .seconds(60))
        ReadinessNotice.send(toPort: inbox.port)
        #expect(await rang)
    }

    @Test func aRingBeforeTheWaitIsKept() async throws {
        let inbox = try ReadinessInbox()
        defer { inbox.close() }
        inbox.ring(4242)
        #expect(await inbox.wait(for: 4242, upTo: .seconds(60)))
        #expect(await !inbox.wait(for: 4242, upTo: .milliseconds(1)))
    }

    @Test func anotherPidsNoticeDoesNotEndTheWait() async throws {
        let inbox = try ReadinessInbox()
        defer { inbox.close() }
        inbox.ring(4243)
        #expect(await !inbox.wait(for: 4244, upTo: .milliseconds(1)))
        #expect(await inbox.wait(for: 4243, upTo: .seconds(60)))
    }
}
