import Hummingbird
import PodsimModel
import PodsimStore

/// Link daemon registration: `POST /api/links`, heartbeat, `DELETE`, and a listing.
struct LinkRoutes {
    let context: PodContext
    let auth: Authenticator

    private struct Register: Decodable {
        var url: String
        var capabilities: [String]?
        var ttlMs: Int64?
    }

    private struct LinkView: Encodable {
        var id: String
        var userId: String
        var url: String
        var capabilities: [String]
        var ttlMs: Int64
        var live: Bool
    }

    private struct Links: Encodable { var links: [LinkView] }
    /// A day: longer TTLs serve no test and would overflow expiry arithmetic.
    static let maxTTLMillis: Int64 = 86_400_000
    private struct OK: Encodable { var ok = true }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/links") { request, _ in
            let key = try await auth.apiKey(request)
            let body = try await decodeBody(Register.self, from: request)
            guard let url = Loopback.baseURL(body.url) else {
                throw PodError.badRequest("url must be http://HOST[:PORT] on a loopback host (127.0.0.0/8, ::1 or localhost), with no user info or path")
            }
            let ttl = body.ttlMs ?? 3000
            guard (1...Self.maxTTLMillis).contains(ttl) else { throw PodError.badRequest("ttlMs must be between 1 and \(Self.maxTTLMillis)") }
            let link = try await context.store.registerLink(
                userId: key.userId, orgId: key.orgId, url: url,
                capabilities: body.capabilities ?? ["decopilot-sandbox"], ttlMs: ttl)
            return jsonResponse(view(link), status: .created)
        }

        router.post("/api/links/:id/heartbeat") { request, requestContext in
            let key = try await auth.apiKey(request)
            guard let link = try await context.store.heartbeatLink(id: try request.parameter("id", in: requestContext), userId: key.userId) else {
                throw PodError.notFound("Link not found")
            }
            return jsonResponse(view(link))
        }

        router.delete("/api/links/:id") { request, requestContext in
            let key = try await auth.apiKey(request)
            guard try await context.store.deleteLink(id: try request.parameter("id", in: requestContext), userId: key.userId) else {
                throw PodError.notFound("Link not found")
            }
            return jsonResponse(OK())
        }

        router.get("/api/links") { request, _ in
            let key = try await auth.apiKey(request)
            let live = try await context.store.liveLink(userId: key.userId)
            return jsonResponse(Links(links: live.map { [view($0)] } ?? []))
        }
    }

    private func view(_ link: Link) -> LinkView {
        LinkView(
            id: link.id, userId: link.userId, url: link.url,
            capabilities: link.capabilities.split(separator: ",").map(String.init), ttlMs: link.ttlMs,
            live: link.isLive(at: wallClockMillis()))
    }
}
