import Foundation
import Hummingbird
import PodsimModel
import PodsimServer

/// The provider's HTTP surface: the OpenAI-compatible endpoints pods call and the control API
/// scenarios use to inspect calls and release gates.
struct MockAIServer: Sendable {
    let calls = CallLog()
    let gates = Gates()

    /// Requests larger than this are refused; long conversations stay far below it.
    private static let maxRequestBytes = 16 * 1024 * 1024

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: UnknownRouteMiddleware())
        router.get("health") { _, _ in "ok" }
        router.get("v1/models") { _, _ in
            let model: JSONValue = ["id": "mock-model", "object": "model", "created": 0, "owned_by": "mock"]
            return try Self.json(["object": "list", "data": [model]] as JSONValue)
        }
        router.post("v1/chat/completions") { request, _ in
            try await chatCompletion(request)
        }
        router.get("control/calls") { request, _ in
            let calls = await calls.calls(thread: request.uri.queryParameters.get("thread"))
            return try Self.json(CallList(calls: calls))
        }
        router.get("control/calls/count") { request, _ in
            let calls = await calls.calls(thread: request.uri.queryParameters.get("thread"))
            return try Self.json(MockAIControl.CallCount(count: calls.count))
        }
        router.get("control/gates") { _, _ in
            try Self.json(GateList(gates: await gates.statuses()))
        }
        router.post("control/gates/:name/release") { _, context in
            let name = try context.parameters.require("name")
            await gates.release(name)
            return try Self.json(MockAIControl.GateReleased(released: name))
        }
        router.post("control/reset") { _, _ in
            await calls.reset()
            await gates.reset()
            return try Self.json(["reset": true])
        }
        return router
    }

    private func chatCompletion(_ request: Request) async throws -> Response {
        let startedAt = wallClockMillis()
        let startedNanos = monotonicNanos()
        let body = try await request.body.collect(upTo: Self.maxRequestBytes)
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
        } catch {
            let error = MockJSON.error(message: "request body is not valid JSON", type: "invalid_request_error")
            return try Self.json(error, status: .badRequest)
        }
        let chat = ChatRequest(json: json)
        let script = ChatCompletionScript(request: chat, startedAt: startedAt)
        let status = if case .failure(let status) = script.answer { status } else { 200 }
        let record = await calls.record(chat, startedAt: startedAt, startedNanos: startedNanos, status: status, kind: script.kind)
        let oneLineHints = chat.lastUserText.split(whereSeparator: \.isNewline).joined(separator: " ")
        logLine(
            "mock-ai: call \(record.index) thread=\(chat.threadId ?? "-") pod=\(chat.pod ?? "-") "
                + "hints=\"\(oneLineHints)\" kind=\(script.kind.rawValue)")
        let calls = calls
        if case .failure(let status) = script.answer {
            let body = try ChatCompletionScript.failureBody(status: status)
            await calls.ended(index: record.index, at: monotonicNanos())
            return Self.response(status: .init(code: status), contentType: "application/json", body: body)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: script.responseBody(gates: gates) { await calls.ended(index: record.index, at: monotonicNanos()) })
    }

    private struct CallList: Encodable {
        var calls: [CallRecord]
    }

    private struct GateList: Encodable {
        var gates: [Gates.Status]
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        response(status: status, contentType: "application/json", body: try MockJSON.text(value))
    }

    private static func response(status: HTTPResponse.Status, contentType: String, body: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
