import Hummingbird
import PodsimModel
import PodsimStore

/// Thread ids travel into subjects in the real system, so some characters are refused.
enum ThreadID {
    static func validate(_ id: String) throws {
        if id.isEmpty || id.contains(where: { $0 == "." || $0 == "*" || $0 == ">" || $0.isWhitespace }) {
            throw PodError.badRequest("Invalid thread ID")
        }
    }

    /// What a new thread's id may be: seed's chat rules; hosted stores any id without whitespace,
    /// as the real thread store does (its chat routes refuse the NATS-unsafe ones since #5262).
    static func validateNew(_ id: String, profile: ServerProfile) throws {
        switch profile {
        case .seed: try validate(id)
        case .hosted: if id.isEmpty || id.contains(where: \.isWhitespace) { throw PodError.badRequest("Invalid thread ID") }
        }
    }
}

/// Answers 400 `Invalid thread ID` for an `:id` path parameter that cannot be a thread id
/// (hosted's chat routes did not check before #5262: `acceptsUnsafeIDs`, the `unsafe-thread-id` switch).
struct ThreadIDMiddleware: RouterMiddleware {
    var acceptsUnsafeIDs = false

    func handle(
        _ request: Request, context: PodRequestContext, next: (Request, PodRequestContext) async throws -> Response
    ) async throws -> Response {
        if !acceptsUnsafeIDs { try ThreadID.validate(try context.parameter("id")) }
        return try await next(request, context)
    }
}

/// Puts the thread the `:id` path parameter names in the context's org, or answers 404.
struct ThreadMiddleware: RouterMiddleware {
    let store: Store

    func handle(
        _ request: Request, context: PodRequestContext, next: (Request, PodRequestContext) async throws -> Response
    ) async throws -> Response {
        let org = try context.requireOrg()
        guard let thread = try await store.thread(orgId: org.id, publicId: try context.parameter("id")) else {
            throw PodError.notFound("Thread not found")
        }
        var context = context
        context.thread = thread
        return try await next(request, context)
    }
}
