import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PodsimModel

/// One HTTP request and its answer, as the scenario runner and the end-to-end tests make them.
public struct HTTPExchange: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public init(status: Int, headers: [(String, String)], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body parsed as JSON, or nil when it is not JSON.
    public var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Sends a request with an optional body and collects the whole answer (up to 4 MiB).
    public static func send(
        _ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil,
        timeout: Duration = .seconds(10), client: HTTPClient = .shared
    ) async throws -> HTTPExchange {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method.uppercased())
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if request.headers["content-type"].isEmpty { request.headers.add(name: "content-type", value: "application/json") }
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
        let collected = try await response.body.collect(upTo: 4 << 20)
        return HTTPExchange(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: collected))
    }
}

extension HTTPExchange {
    /// Makes a typed call and keeps its answer, or the server's refusal, as a plain exchange, for
    /// callers that check statuses and bodies themselves (the scenario runner's `send` step).
    public static func of<Value, Failure>(
        _ call: () async throws -> APITransport<Failure>.Answer<Value>
    ) async throws -> HTTPExchange {
        do {
            let answer = try await call()
            return HTTPExchange(
                status: answer.status, headers: answer.headers.map { ($0.name, $0.value) }, body: String(decoding: answer.body, as: UTF8.self))
        } catch let refusal as APIError<Failure> {
            return HTTPExchange(status: refusal.status, headers: refusal.headers.map { ($0.name, $0.value) }, body: refusal.text)
        }
    }
}
