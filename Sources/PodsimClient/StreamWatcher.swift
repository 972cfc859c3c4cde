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
        /// The frame's `id:` (the chunk's id), nil when it carried none.
        public var id: String?
        /// Wall-clock milliseconds.
        public var receivedAt: Int64
        /// The monotonic clock (`monotonicNanos`), comparable with every process's history times.
        public var receivedNanos: Int64
    }

    /// Why the stream ended.
    public enum EndReason: String, Sendable, Equatable {
        /// This client went away: `close()`, or the watcher's own lifetime passed.
        case client
        /// The server ended the response body.
        case ended
        /// The request or the connection failed (`failure` says how).
        case failed
    }

    public let url: String
    public private(set) var status: Int?
    public private(set) var frames: [Frame] = []
    public private(set) var keepalives = 0
    public private(set) var ended = false
    public private(set) var failure: String?
    /// When the request was about to be sent (monotonic nanoseconds).
    public let attachStartedNanos: Int64
    /// When the response head arrived (monotonic nanoseconds); nil before, or when it never did.
    public private(set) var headNanos: Int64?
    /// When the stream ended (monotonic nanoseconds); nil while it is open.
    public private(set) var endedNanos: Int64?
    public private(set) var endReason: EndReason?
    private var task: Task<Void, Never>?
    private var headWaiters: [CheckedContinuation<Void, Never>] = []

    private init(url: String) {
        self.url = url
        self.attachStartedNanos = monotonicNanos()
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
            let end = await withTaskGroup(of: (EndReason, String?).self) { group in
                group.addTask { await self.read(url: url, headers: headers, client: client) }
                group.addTask {
                    try? await Task.sleep(for: lifetime)
                    return (.client, nil)
                }
                let first = await group.next() ?? (.client, nil)
                group.cancelAll()
                return first
            }
            self.finish(end.0, failure: end.1)
        }
        await withCheckedContinuation { continuation in
            if status != nil || ended {
                continuation.resume()
            } else {
                headWaiters.append(continuation)
            }
        }
    }

    /// Reads the stream to its end; returns why it ended (and the failure's text).
    private func read(url: String, headers: [String: String], client: HTTPClient) async -> (EndReason, String?) {
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
            return (Task.isCancelled ? .client : .ended, nil)
        } catch {
            return Task.isCancelled ? (.client, nil) : (.failed, "\(error)")
        }
    }

    private func received(status: Int) {
        self.status = status
        headNanos = monotonicNanos()
        resumeHeadWaiters()
    }

    private func received(_ events: [SSEEvent]) {
        let now = wallClockMillis()
        let nanos = monotonicNanos()
        for event in events {
            switch event {
            case .data(let data, let id): frames.append(Frame(data: data, id: id, receivedAt: now, receivedNanos: nanos))
            case .comment(let text): if text == "keepalive" { keepalives += 1 }
            }
        }
    }

    private func finish(_ reason: EndReason, failure: String?) {
        if !ended {
            ended = true
            endedNanos = monotonicNanos()
            endReason = reason
            self.failure = failure
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
