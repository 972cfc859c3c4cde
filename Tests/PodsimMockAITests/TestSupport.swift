import AsyncHTTPClient
import Foundation
import NIOCore
import PodsimMockAI
import PodsimModel

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a mock provider in-process on a free port for the duration of `body`, then stops it.
func withMockAI<T: Sendable>(_ body: (MockAIClient) async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        group.addTask {
            defer { portContinuation.finish() }
            try await runMockAI(MockAIConfiguration(), onListening: { portContinuation.yield($0) })
        }
        guard let port = await ports.first(where: { _ in true }) else {
            throw TestFailure("the mock provider stopped before listening")
        }
        let result = try await body(MockAIClient(baseURL: "http://127.0.0.1:\(port)"))
        group.cancelAll()
        return result
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(
    timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// A plain HTTP answer.
struct PlainResponse: Sendable {
    var status: Int
    var contentType: String?
    var body: String

    func json() throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
    }
}

/// What a streamed chat completion delivered.
struct ChatStream: Sendable {
    var status: Int
    var contentType: String?
    /// The `data:` payloads in arrival order.
    var events: [String]
    /// The error that ended the body early, nil when it ended cleanly.
    var failure: String?

    /// The decoded `chat.completion.chunk` frames (everything except `[DONE]`).
    func chunks() throws -> [JSONValue] {
        try events.filter { $0 != "[DONE]" }.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }

    /// The text of every content delta, in order.
    func contents() throws -> [String] {
        try chunks().compactMap { choice(of: $0)?["delta"]?["content"]?.stringValue }
    }
}

/// The first (only) choice of a chunk.
func choice(of chunk: JSONValue) -> JSONValue? {
    guard case .array(let choices)? = chunk["choices"] else { return nil }
    return choices.first
}

func userMessage(_ text: String) -> JSONValue {
    ["role": "user", "content": .string(text)]
}

/// An OpenAI streaming chat request body.
func chatBody(_ messages: [JSONValue], thread: String? = nil, pod: String? = nil) -> JSONValue {
    var body: [String: JSONValue] = ["model": "mock-model", "stream": true, "messages": .array(messages)]
    if let thread, let pod {
        body["metadata"] = ["thread_id": .string(thread), "pod": .string(pod)]
    }
    return .object(body)
}

/// Talks to one running mock provider.
struct MockAIClient: Sendable {
    let baseURL: String

    func get(_ path: String) async throws -> PlainResponse {
        try await send(HTTPClientRequest(url: baseURL + path))
    }

    func post(_ path: String, body: String = "") async throws -> PlainResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    func getJSON(_ path: String) async throws -> JSONValue {
        try await get(path).json()
    }

    /// Streams a chat completion to its end, handing each `data:` payload to `onEvent` as it arrives.
    func chat(_ body: JSONValue, onEvent: @Sendable (String) async -> Void = { _ in }) async throws -> ChatStream {
        var request = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var stream = ChatStream(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type"), events: [])
        var parser = SSEParser()
        do {
            for try await buffer in response.body {
                for case .data(let payload, _) in parser.feed(buffer.readableBytesView) {
                    stream.events.append(payload)
                    await onEvent(payload)
                }
            }
        } catch {
            stream.failure = String(describing: error)
        }
        return stream
    }

    private func send(_ request: HTTPClientRequest) async throws -> PlainResponse {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        return PlainResponse(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type"),
            body: String(buffer: body))
    }
}

/// Payloads seen so far by a stream that is still running.
actor SeenEvents {
    private(set) var payloads: [String] = []

    func append(_ payload: String) {
        payloads.append(payload)
    }
}
