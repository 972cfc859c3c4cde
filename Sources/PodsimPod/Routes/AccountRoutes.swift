import Foundation
import Hummingbird
import PodsimModel
import PodsimStore

/// Setup calls: orgs, sessions, agents and threads (the stand-ins for the real sign-up flow).
struct AccountRoutes {
    let context: PodContext
    let auth: Authenticator
    let sessionCache: SessionCache

    private struct CreateOrg: Decodable {
        var name: String
        var slug: String?
    }

    private struct OrgCreated: Encodable {
        var orgId: String
        var orgSlug: String
        var userId: String
        var apiKey: String
    }

    private struct CreateAgent: Decodable { var title: String }
    private struct Created: Encodable { var id: String }
    private struct CreateThread: Decodable {
        var id: String?
        var agentId: String
    }

    private struct ThreadCreated: Encodable {
        var id: String
        var status: String
    }

    private struct SessionUser: Encodable {
        struct User: Encodable { var id: String }
        var user: User
        var session: SessionInfo
    }

    private struct SessionInfo: Encodable {
        var orgId: String
        var pod: String
    }

    private struct OK: Encodable { var ok = true }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/orgs") { request, _ in
            let body = try await decodeBody(CreateOrg.self, from: request)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { throw PodError.badRequest("name must not be empty") }
            if let slug = body.slug, slug.isEmpty || slug.count > 64 || slug.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
                throw PodError.badRequest("slug may contain only letters, digits and '-' (at most 64)")
            }
            if let slug = body.slug, UUID(uuidString: slug) != nil {
                throw PodError.badRequest("slug must not look like an org id (a UUID): URLs name orgs by either")
            }
            do {
                let created = try await context.store.createOrg(name: name, slug: body.slug)
                return jsonResponse(
                    OrgCreated(orgId: created.org.id, orgSlug: created.org.slug, userId: created.user.id, apiKey: created.apiKey.key),
                    status: .created)
            } catch Store.AccountError.slugTaken(let slug) {
                throw PodError.conflict("Organization slug \"\(slug)\" is taken")
            }
        }

        router.post("/api/auth/sign-in") { request, _ in
            let key = try await auth.apiKey(request)
            let session = try await context.store.createSession(for: key)
            if context.configuration.has(.podLocalSessions) { await sessionCache.put(session) }
            var headers = HTTPFields()
            headers[.setCookie] = "\(Authenticator.cookieName)=\(session.token); Path=/; HttpOnly; SameSite=Lax"
            return jsonResponse(SessionUser(user: .init(id: key.userId), session: .init(orgId: key.orgId, pod: context.name)), headers: headers)
        }

        router.get("/api/auth/get-session") { request, _ in
            guard let session = try await auth.session(request) else { throw PodError.unauthorized("No valid session") }
            return jsonResponse(SessionUser(user: .init(id: session.userId), session: .init(orgId: session.orgId, pod: context.name)))
        }

        router.post("/api/auth/sign-out") { request, _ in
            guard let token = auth.sessionToken(request) else { throw PodError.unauthorized("No session cookie") }
            try await context.store.deleteSession(token: token)
            await sessionCache.remove(token)
            var headers = HTTPFields()
            headers[.setCookie] = "\(Authenticator.cookieName)=; Path=/; Max-Age=0"
            return jsonResponse(OK(), headers: headers)
        }

        router.post("/api/:org/agents") { request, requestContext in
            let (org, _) = try await auth.member(request, org: try request.parameter("org", in: requestContext))
            let body = try await decodeBody(CreateAgent.self, from: request)
            guard !body.title.trimmingCharacters(in: .whitespaces).isEmpty else { throw PodError.badRequest("title must not be empty") }
            let agent = try await context.store.createAgent(orgId: org.id, title: body.title)
            return jsonResponse(Created(id: agent.id), status: .created)
        }

        router.post("/api/:org/threads") { request, requestContext in
            let (org, _) = try await auth.member(request, org: try request.parameter("org", in: requestContext))
            let body = try await decodeBody(CreateThread.self, from: request)
            if let id = body.id { try ThreadID.validate(id) }
            guard let agent = try await context.store.agent(id: body.agentId), agent.orgId == org.id else {
                throw PodError.notFound("Agent not found")
            }
            switch try await context.store.createThread(id: body.id, orgId: org.id, agentId: agent.id) {
            case .created(let thread):
                return jsonResponse(ThreadCreated(id: thread.publicId, status: thread.status.rawValue), status: .created)
            case .exists:
                throw PodError.conflict("Thread \(body.id ?? "") already exists")
            }
        }

        router.get("/api/:org/threads/:id") { request, requestContext in
            let (org, _) = try await auth.member(request, org: try request.parameter("org", in: requestContext))
            let id = try request.parameter("id", in: requestContext)
            try ThreadID.validate(id)
            guard let thread = try await context.store.thread(orgId: org.id, publicId: id), let summary = try await context.store.threadSummary(id: thread.id)
            else { throw PodError.notFound("Thread not found") }
            return jsonResponse(ThreadView(summary))
        }
    }
}

/// Thread ids travel into subjects in the real system, so some characters are refused.
enum ThreadID {
    static func validate(_ id: String) throws {
        if id.isEmpty || id.contains(where: { $0 == "." || $0 == "*" || $0 == ">" || $0.isWhitespace }) {
            throw PodError.badRequest("Invalid thread ID")
        }
    }
}

/// `GET /api/:org/threads/:id`: what the real suite reads with SQL.
struct ThreadView: Encodable {
    struct RunView: Encodable {
        var id: Int64
        var state: String
        var attempt: Int
        var ownerPod: String?
        var providerKind: String
        var error: String?
    }

    var id: String
    var agentId: String
    var status: String
    var runOwnerPod: String?
    var sandboxProviderKind: String?
    var partCount: Int
    var runCount: Int
    var sandboxCount: Int
    var currentRun: RunView?

    init(_ summary: Store.ThreadSummary) {
        id = summary.thread.publicId
        agentId = summary.thread.agentId
        status = summary.thread.status.rawValue
        runOwnerPod = summary.thread.runOwnerPod
        sandboxProviderKind = summary.thread.sandboxProviderKind
        partCount = summary.partCount
        runCount = summary.runCount
        sandboxCount = summary.sandboxCount
        currentRun = summary.currentRun.map {
            RunView(id: $0.id ?? 0, state: $0.state.rawValue, attempt: $0.attempt, ownerPod: $0.ownerPod, providerKind: $0.providerKind, error: $0.error)
        }
    }
}
