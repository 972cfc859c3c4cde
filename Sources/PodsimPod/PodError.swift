import Hummingbird
import PodsimModel
import PodsimStore

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
    /// A framework failure (an `HTTPError`, a body over the size limit…) kept at its own status.
    case other(HTTPResponse.Status, String)

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
        case .other(let status, _): status
        }
    }

    var body: ErrorBody {
        switch self {
        case .badRequest(let message), .unauthorized(let message), .forbidden(let message), .notFound(let message),
            .methodNotAllowed(let message), .conflict(let message), .internalError(let message), .unavailable(let message),
            .other(_, let message):
            ErrorBody(error: message)
        case .linkOffline:
            ErrorBody(error: "link_unavailable", code: "link_offline")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(body, from: request, context: context)
        response.status = status
        return response
    }

    /// Any error a route let escape, as the pod answers it: store and domain errors at their
    /// statuses, framework errors at theirs, anything unexpected as a 500 that says what happened.
    init(_ error: any Error) {
        switch error {
        case let error as PodError:
            self = error
        case let error as HTTPError:
            self = .other(error.status, error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            self = .other(error.status, error.status.reasonPhrase)
        case Store.AccountError.slugTaken(let slug):
            self = .conflict("Organization slug \"\(slug)\" is taken")
        case let error as SandboxError:
            self = .internalError(error.description)
        default:
            self = .internalError("Internal error: \(error)")
        }
    }
}
