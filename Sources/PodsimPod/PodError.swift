import Foundation
import Hummingbird
import PodsimModel

/// Every failure a pod route can answer with, mapped to its HTTP status and JSON body in one place.
public enum PodError: Error, HTTPResponseError {
    case badRequest(String)
    case unauthorized(String = "Unauthorized")
    case forbidden(String = "Forbidden")
    case notFound(String)
    case methodNotAllowed(String)
    case conflict(String)
    case linkOffline
    case internalError(String)
    case unavailable(String)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict, .linkOffline: .conflict
        case .internalError: .internalServerError
        case .unavailable: .serviceUnavailable
        }
    }

    var body: ErrorBody {
        switch self {
        case .badRequest(let message), .unauthorized(let message), .forbidden(let message), .notFound(let message),
            .methodNotAllowed(let message), .conflict(let message), .internalError(let message), .unavailable(let message):
            ErrorBody(error: message)
        case .linkOffline:
            ErrorBody(error: "link_unavailable", code: "link_offline")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse(body, status: status)
    }
}

let jsonEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

/// A JSON response with the given status.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var headers = headers
    headers[.contentType] = "application/json; charset=utf-8"
    let data = (try? jsonEncoder.encode(value)) ?? Data("{}".utf8)
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

/// Reads and decodes a JSON request body; any failure is a 400 that says what was wrong.
func decodeBody<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: 1 << 20)
    } catch {
        throw PodError.badRequest("Request body too large (limit 1 MiB)")
    }
    guard buffer.readableBytes > 0 else { throw PodError.badRequest("Request body is empty; expected JSON") }
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    } catch let error as DecodingError {
        throw PodError.badRequest("Invalid JSON body: \(describe(error))")
    } catch {
        throw PodError.badRequest("Invalid JSON body")
    }
}

private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let joined = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return joined.isEmpty ? "body" : String(joined.drop { $0 == "." })
    }
    switch error {
    case .keyNotFound(let key, let context):
        let parent = path(context)
        return "missing field \(parent == "body" ? key.stringValue : parent + "." + key.stringValue)"
    case .typeMismatch(let type, let context): return "\(path(context)) should be \(type)"
    case .valueNotFound(let type, let context): return "\(path(context)) should be \(type), found null"
    case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)) is invalid"
    @unknown default: return "unreadable"
    }
}
