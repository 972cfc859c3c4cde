import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PodsimModel

/// A non-2xx answer from one of podsim's servers: the status, the error body decoded as the
/// server's error shape (nil when it did not have that shape) and the body as text.
public struct APIError<Body: Decodable & Sendable & Equatable>: Error, Equatable, CustomStringConvertible {
    public var method: String
    public var path: String
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body?
    public var text: String

    public var description: String { "\(method) \(path) answered \(status): \(text.prefix(300))" }
}

/// An answer outside 2xx, whatever its body type: the status and the body as text.
public protocol RefusedCall: Error {
    var status: Int { get }
    var text: String { get }
}

extension APIError: RefusedCall {}

/// The pod API's error: `{"error": "...", "code"?: "..."}`.
public typealias PodAPIError = APIError<ErrorBody>

/// One call of a server's API, written once: its method, path, JSON body and answer type.
public struct Endpoint<Value: Decodable & Sendable>: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var body: (any Encodable & Sendable)?

    public init(_ method: HTTPMethod, _ path: String, body: (any Encodable & Sendable)? = nil, answer: Value.Type = Value.self) {
        self.method = method
        self.path = path
        self.body = body
    }
}

/// A call that got no usable answer: no answer within its deadline, or a 2xx body that is not
/// the documented shape.
public enum APICallError: Error, Equatable, CustomStringConvertible {
    case deadlineExceeded(method: String, path: String, after: Duration)
    case undecodable(method: String, path: String, status: Int, body: String, reason: String)

    public var description: String {
        switch self {
        case .deadlineExceeded(let method, let path, let after): "\(method) \(path) did not answer within \(after)"
        case .undecodable(let method, let path, let status, let body, let reason):
            "\(method) \(path) answered \(status) with an unexpected body (\(reason)): \(body.prefix(300))"
        }
    }
}

/// What every typed client of a podsim server shares: the base URL, the `HTTPClient` it is
/// given (never one it owns), and the one `send` every call goes through. `send` bounds the
/// whole exchange, head and body, by one deadline (AsyncHTTPClient's own deadline ends at the
/// response head), collects at most `bodyLimit` bytes, and turns a non-2xx answer into an
/// `APIError` carrying the server's error body.
public struct APITransport<ErrorShape: Decodable & Sendable & Equatable>: Sendable {
    /// A decoded answer with its status, headers (sign-in reads its cookie there) and raw body.
    public struct Answer<Value: Sendable>: Sendable {
        public var value: Value
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data
    }

    public var baseURL: String
    public var http: HTTPClient
    public var timeout: Duration
    public var bodyLimit: Int

    public init(baseURL: String, http: HTTPClient = .shared, timeout: Duration = .seconds(10), bodyLimit: Int = 4 << 20) {
        self.baseURL = baseURL
        self.http = http
        self.timeout = timeout
        self.bodyLimit = bodyLimit
    }

    /// Sends the endpoint's body (if any) as JSON and decodes a 2xx answer as `Value`.
    public func send<Value>(_ endpoint: Endpoint<Value>, headers: [(String, String)] = []) async throws -> Answer<Value> {
        let (method, path, body) = (endpoint.method, endpoint.path, endpoint.body)
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.replaceOrAdd(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let (status, responseHeaders, bytes) = try await exchange(request, method: method.rawValue, path: path)
        guard (200..<300).contains(status) else {
            throw APIError<ErrorShape>(
                method: method.rawValue, path: path, status: status, headers: responseHeaders, body: try? JSONDecoder().decode(ErrorShape.self, from: bytes),
                text: String(decoding: bytes, as: UTF8.self))
        }
        do {
            return Answer(value: try JSONDecoder().decode(Value.self, from: bytes), status: status, headers: responseHeaders, body: bytes)
        } catch {
            throw APICallError.undecodable(
                method: method.rawValue, path: path, status: status, body: String(decoding: bytes, as: UTF8.self), reason: "\(error)")
        }
    }

    /// Whether `GET path` answers 200 within the deadline, whatever its body (liveness probes).
    public func answersOK(_ path: String) async -> Bool {
        let answer = try? await exchange(HTTPClientRequest(url: baseURL + path), method: "GET", path: path)
        return answer?.0 == 200
    }

    private func exchange(_ request: HTTPClientRequest, method: String, path: String) async throws -> (Int, HTTPHeaders, Data) {
        let http = http
        let limit = bodyLimit
        let timeout = timeout
        return try await withThrowingTaskGroup(of: (Int, HTTPHeaders, Data)?.self) { group in
            group.addTask {
                let response = try await http.execute(request, timeout: .init(timeout))
                let body = try await response.body.collect(upTo: limit)
                return (Int(response.status.code), response.headers, Data(body.readableBytesView))
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next(), let answer else {
                throw APICallError.deadlineExceeded(method: method, path: path, after: timeout)
            }
            return answer
        }
    }
}
