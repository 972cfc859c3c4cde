import Hummingbird
import PodsimModel
import PodsimStore

/// Who is calling: the API key or the session that authenticated the request.
enum Caller: Sendable {
    case apiKey(APIKey)
    case session(Session)

    var userId: String {
        switch self {
        case .apiKey(let key): key.userId
        case .session(let session): session.userId
        }
    }

    var orgId: String {
        switch self {
        case .apiKey(let key): key.orgId
        case .session(let session): session.orgId
        }
    }
}

/// The credentials a group of routes accepts.
struct AcceptedCredentials: OptionSet, Sendable {
    let rawValue: Int
    /// `Authorization: Bearer <key>`.
    static let apiKey = AcceptedCredentials(rawValue: 1 << 0)
    /// The `podsim_session` cookie.
    static let session = AcceptedCredentials(rawValue: 1 << 1)
}

/// Resolves callers from the shared store (or, with `pod-local-sessions`, partly from this
/// pod's memory).
struct Authenticator: Sendable {
    static let cookieName = "podsim_session"

    let pod: PodContext
    let sessionCache: SessionCache

    /// The caller behind the credentials `accepted` allows. An `Authorization` header always
    /// means an API key, even where sessions are accepted too.
    func caller(_ request: Request, accepting accepted: AcceptedCredentials) async throws -> Caller {
        if accepted.contains(.apiKey), request.headers[.authorization] != nil || !accepted.contains(.session) {
            return .apiKey(try await apiKey(request))
        }
        guard let session = try await session(request) else {
            throw PodError.unauthorized(accepted.contains(.apiKey) ? "Missing bearer API key" : "No valid session")
        }
        return .session(session)
    }

    private func apiKey(_ request: Request) async throws -> APIKey {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw PodError.unauthorized("Missing bearer API key")
        }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let key = try await pod.store.apiKey(token) else { throw PodError.unauthorized("Invalid API key") }
        return key
    }

    func sessionToken(_ request: Request) -> String? {
        request.cookies[Self.cookieName]?.value
    }

    private func session(_ request: Request) async throws -> Session? {
        guard let token = sessionToken(request) else { return nil }
        if pod.configuration.has(.podLocalSessions) {
            if let cached = await sessionCache.get(token) { return cached }
            guard let stored = try await pod.store.session(token: token) else { return nil }
            await sessionCache.put(stored)
            return stored
        }
        return try await pod.store.session(token: token)
    }
}

/// Puts the caller in the context, or answers 401.
struct AuthenticationMiddleware: RouterMiddleware {
    let authenticator: Authenticator
    let accepted: AcceptedCredentials

    func handle(
        _ request: Request, context: PodRequestContext, next: (Request, PodRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.caller = try await authenticator.caller(request, accepting: accepted)
        return try await next(request, context)
    }
}

/// Puts the org the `:org` path parameter names (by id or slug) in the context, if the caller
/// belongs to it: 404 for an unknown org, 403 for another org's caller.
struct OrgMembershipMiddleware: RouterMiddleware {
    let store: Store

    func handle(
        _ request: Request, context: PodRequestContext, next: (Request, PodRequestContext) async throws -> Response
    ) async throws -> Response {
        let caller = try context.requireCaller()
        guard let org = try await store.org(idOrSlug: try context.parameter("org")) else {
            throw PodError.notFound("Organization not found")
        }
        guard org.id == caller.orgId else { throw PodError.forbidden("API key does not belong to this organization") }
        var context = context
        context.org = org
        return try await next(request, context)
    }
}
