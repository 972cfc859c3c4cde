import Testing

@testable import PodsimPod

@Suite struct ChangeSignalTests {
    @Test func changeSignalsCrossSockets() async throws {
        let receiver = try ChangeSignalSocket()
        let sender = try ChangeSignalSocket()
        defer {
            receiver.close()
            sender.close()
        }
        let signals = receiver.signals()
        let expected: [ChangeSignal] = [.chunks(threadId: "t-1"), .runsAvailable, .cancel(runId: 42), .cancelThread(threadId: "t-2")]
        for signal in expected { sender.send(signal, to: [receiver.port]) }
        var received: [ChangeSignal] = []
        for await signal in signals {
            received.append(signal)
            if received.count == expected.count { break }
        }
        #expect(received == expected)
    }
}
