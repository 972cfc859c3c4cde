import AsyncHTTPClient
import Foundation
import NIOCore
import PodsimModel

/// A client attached to a pod's SSE stream: it collects every `data:` frame in arrival order
/// until it is closed, the server ends the stream, or its own deadline passes (a stream body
/// has no request timeout of its own).
public actor StreamWatcher {
    /// One received frame and when it arrived.
    public struct Frame: Sendable, Equatable {
        public var data: String
        public var receivedAt: Int64
    }

    public let url: String
    public private(set) var status: Int?
    public private(set) var frames: [Frame] = []
    public private(set) var keepalives = 0
    public private(set) var ended = false
    public private(set) var failure: String?
    private var task: Task<Void, Never>?
    private var headWaiters: [CheckedContinuation<Void, Never>] = []

    private init(url: String) {
        self.url = url
    }

    /// Attaches and returns once the response head arrived (check `status`), or on failure.
    public static func attach(
        url: String, headers: [String: String] = [:], lifetime: Duration = .seconds(300), client: HTTPClient = .shared
    ) async -> StreamWatcher {
        let watcher = StreamWatcher(url: url)
        await watcher.start(headers: headers, lifetime: lifetime, client: client)
        return watcher
    }

    private func start(headers: [String: String], lifetime: Duration, client: HTTPClient) async {
        let url = url
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.read(url: url, headers: headers, client: client) }
                group.addTask { try? await Task.sleep(for: lifetime) }
                await group.next()
                group.cancelAll()
            }
            self.finish(failure: nil)
        }
        await withCheckedContinuation { continuation in
            if status != nil || ended {
                continuation.resume()
            } else {
                headWaiters.append(continuation)
            }
        }
    }

    private func read(url: String, headers: [String: String], client: HTTPClient) async {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "accept", value: "text/event-stream")
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            received(status: Int(response.status.code))
            var parser = SSEParser()
            for try await buffer in response.body {
                let events = parser.feed(buffer.readableBytesView)
                if !events.isEmpty { received(events) }
            }
        } catch {
            if !Task.isCancelled { finish(failure: "\(error)") }
        }
    }

    private func received(status: Int) {
        self.status = status
        resumeHeadWaiters()
    }

    private func received(_ events: [SSEEvent]) {
        let now = wallClockMillis()
        for event in events {
            switch event {
            case .data(let data): frames.append(Frame(data: data, receivedAt: now))
            case .comment(let text): if text == "keepalive" { keepalives += 1 }
            }
        }
    }

    private func finish(failure: String?) {
        if !ended {
            ended = true
            self.failure = self.failure ?? failure
        }
        resumeHeadWaiters()
    }

    private func resumeHeadWaiters() {
        let waiters = headWaiters
        headWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// The payloads received so far.
    public var payloads: [String] { frames.map(\.data) }

    /// Waits until `condition` holds for the payloads received so far, or the timeout passes.
    public func wait(timeout: Duration, until condition: @Sendable ([String]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if condition(payloads) { return true }
            if ended || ContinuousClock.now >= deadline { return condition(payloads) }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Detaches (the client going away).
    public func close() async {
        task?.cancel()
        await task?.value
    }
}
