import Foundation
import Hummingbird
import NIOCore
import PodsimModel
import PodsimStore

/// What one pod request carries besides the request itself: Hummingbird's core storage and what
/// the middlewares resolved on the way in (the caller, the org in the path, the thread in the
/// path). Bodies are read and written with the pod API's JSON coders.
struct PodRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware`.
    var caller: Caller?
    /// Set by `OrgMembershipMiddleware`: the org the path names, which the caller belongs to.
    var org: Org?
    /// Set by `ThreadMiddleware`: the thread the path names, in `org`.
    var thread: ChatThread?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// A pod reads at most 1 MiB of request body.
    var maxUploadSize: Int { 1 << 20 }
    var requestDecoder: PodRequestDecoder { PodRequestDecoder() }
    var responseEncoder: JSONEncoder { PodAPI.encoder }

    /// A path parameter, percent-decoded (the router only calls a route whose parameters are present).
    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name) else { throw PodError.badRequest("Missing path parameter \(name)") }
        return value.removingPercentEncoding ?? value
    }

    func requireCaller() throws -> Caller {
        guard let caller else { throw PodError.internalError("No caller: the route is outside an authenticated group") }
        return caller
    }

    func requireOrg() throws -> Org {
        guard let org else { throw PodError.internalError("No org: the route is outside an org group") }
        return org
    }

    func requireThread() throws -> ChatThread {
        guard let thread else { throw PodError.internalError("No thread: the route is outside a thread group") }
        return thread
    }
}

/// Reads a JSON request body with the pod API's decoder; an empty, oversized or malformed body is
/// a 400 that says what was wrong.
struct PodRequestDecoder: RequestDecoder {
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw PodError.badRequest("Request body too large (limit \(context.maxUploadSize >> 20) MiB)")
        }
        guard buffer.readableBytes > 0 else { throw PodError.badRequest("Request body is empty; expected JSON") }
        do {
            return try PodAPI.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw PodError.badRequest("Invalid JSON body: \(Self.describe(error))")
        }
    }

    /// Names the field at fault, e.g. `missing field agent.id` or `messages should be Array<Any>`.
    private static func describe(_ error: DecodingError) -> String {
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
}
