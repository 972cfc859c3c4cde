import Foundation
import Hummingbird
import PodsimModel
import PodsimStore

/// Who is calling: the user and org behind a Bearer API key or a session cookie.
struct Caller: Sendable {
    let userId: String
    let orgId: String
}

/// Resolves callers from the shared store (or, with `pod-local-sessions`, partly from this
/// pod's memory) and checks org membership.
struct Authenticator: Sendable {
    static let cookieName = "podsim_session"

    let context: PodContext
    let sessionCache: SessionCache

    func apiKey(_ request: Request) async throws -> APIKey {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw PodError.unauthorized("Missing bearer API key")
        }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let key = try await context.store.apiKey(token) else { throw PodError.unauthorized("Invalid API key") }
        return key
    }

    func sessionToken(_ request: Request) -> String? {
        request.cookies[Self.cookieName]?.value
    }

    func session(_ request: Request) async throws -> Session? {
        guard let token = sessionToken(request) else { return nil }
        if context.configuration.has(.podLocalSessions) {
            if let cached = await sessionCache.get(token) { return cached }
            guard let stored = try await context.store.session(token: token) else { return nil }
            await sessionCache.put(stored)
            return stored
        }
        return try await context.store.session(token: token)
    }

    func caller(_ request: Request) async throws -> Caller {
        if request.headers[.authorization] != nil {
            let key = try await apiKey(request)
            return Caller(userId: key.userId, orgId: key.orgId)
        }
        guard let session = try await session(request) else { throw PodError.unauthorized("Missing bearer API key") }
        return Caller(userId: session.userId, orgId: session.orgId)
    }

    /// The org named in the path (slug or id) and a caller who belongs to it.
    func member(_ request: Request, org orgParameter: String) async throws -> (Org, Caller) {
        let caller = try await caller(request)
        guard let org = try await context.store.org(idOrSlug: orgParameter) else { throw PodError.notFound("Organization not found") }
        guard org.id == caller.orgId else { throw PodError.forbidden("API key does not belong to this organization") }
        return (org, caller)
    }
}

extension Request {
    /// A required path parameter, percent-decoded (the router guarantees it is present).
    func parameter(_ name: String, in context: BasicRequestContext) throws -> String {
        guard let value = context.parameters.get(name) else { throw PodError.badRequest("Missing path parameter \(name)") }
        return value.removingPercentEncoding ?? value
    }
}
