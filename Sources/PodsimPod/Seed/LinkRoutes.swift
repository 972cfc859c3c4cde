import Hummingbird
import PodsimModel
import PodsimStore

/// Link daemon registration under `/api/links` (API key only): register, heartbeat, `DELETE`,
/// and a listing.
struct LinkRoutes {
    let pod: PodContext
    let authenticator: Authenticator

    /// A day: longer TTLs serve no test and would overflow expiry arithmetic.
    static let maxTTLMillis: Int64 = 86_400_000

    func routes() -> RouteCollection<PodRequestContext> {
        let routes = RouteCollection(context: PodRequestContext.self)
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, accepted: .apiKey))
        routes.post(use: register)
        routes.get(use: list)
        routes.post(":id/heartbeat", use: heartbeat)
        routes.delete(":id", use: delete)
        return routes
    }

    func register(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.LinkView> {
        let caller = try context.requireCaller()
        let body = try await request.decode(as: PodAPI.RegisterLink.self, context: context)
        guard let url = Loopback.baseURL(body.url) else {
            throw PodError.badRequest("url must be http://HOST[:PORT] on a loopback host (127.0.0.0/8, ::1 or localhost), with no user info or path")
        }
        let ttl = body.ttlMs ?? 3000
        guard (1...Self.maxTTLMillis).contains(ttl) else { throw PodError.badRequest("ttlMs must be between 1 and \(Self.maxTTLMillis)") }
        let link = try await pod.store.registerLink(
            userId: caller.userId, orgId: caller.orgId, url: url, capabilities: body.capabilities ?? ["decopilot-sandbox"], ttlMs: ttl)
        return EditedResponse(status: .created, response: PodAPI.LinkView(link, at: wallClockMillis()))
    }

    func heartbeat(_ request: Request, context: PodRequestContext) async throws -> PodAPI.LinkView {
        let caller = try context.requireCaller()
        guard let link = try await pod.store.heartbeatLink(id: try context.parameter("id"), userId: caller.userId) else {
            throw PodError.notFound("Link not found")
        }
        return PodAPI.LinkView(link, at: wallClockMillis())
    }

    func delete(_ request: Request, context: PodRequestContext) async throws -> PodAPI.OK {
        let caller = try context.requireCaller()
        guard try await pod.store.deleteLink(id: try context.parameter("id"), userId: caller.userId) else {
            throw PodError.notFound("Link not found")
        }
        return PodAPI.OK()
    }

    func list(_ request: Request, context: PodRequestContext) async throws -> PodAPI.Links {
        let live = try await pod.store.liveLink(userId: try context.requireCaller().userId)
        return PodAPI.Links(links: live.map { [PodAPI.LinkView($0, at: wallClockMillis())] } ?? [])
    }
}
