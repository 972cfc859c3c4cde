import Foundation
import Hummingbird
import PodsimModel
import PodsimStore

/// Setup calls under `/api`: orgs, sessions, agents and threads (the stand-ins for the real
/// sign-up flow).
struct AccountRoutes {
    let pod: PodContext
    let authenticator: Authenticator

    func routes() -> RouteCollection<PodRequestContext> {
        let routes = RouteCollection(context: PodRequestContext.self)
        routes.post("orgs", use: createOrg)
        routes.group("auth")
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, accepted: .apiKey))
            .post("sign-in", use: signIn)
        routes.group("auth")
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, accepted: .session))
            .get("get-session", use: getSession)
        routes.post("auth/sign-out", use: signOut)

        let org = routes.group(":org")
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, accepted: [.apiKey, .session]))
            .add(middleware: OrgMembershipMiddleware(store: pod.store))
        org.post("agents", use: createAgent)
        org.post("threads", use: createThread)
        org.group("threads/:id")
            .add(middleware: ThreadIDMiddleware())
            .add(middleware: ThreadMiddleware(store: pod.store))
            .get(use: thread)
        return routes
    }

    func createOrg(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.OrgCreated> {
        let body = try await request.decode(as: PodAPI.CreateOrg.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw PodError.badRequest("name must not be empty") }
        if let slug = body.slug, slug.isEmpty || slug.count > 64 || slug.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            throw PodError.badRequest("slug may contain only letters, digits and '-' (at most 64)")
        }
        if let slug = body.slug, UUID(uuidString: slug) != nil {
            throw PodError.badRequest("slug must not look like an org id (a UUID): URLs name orgs by either")
        }
        let created = try await pod.store.createOrg(name: name, slug: body.slug)
        return EditedResponse(
            status: .created,
            response: PodAPI.OrgCreated(orgId: created.org.id, orgSlug: created.org.slug, userId: created.user.id, apiKey: created.apiKey.key))
    }

    func signIn(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.SessionView> {
        guard case .apiKey(let key) = try context.requireCaller() else { throw PodError.unauthorized("Missing bearer API key") }
        let session = try await pod.store.createSession(for: key)
        if pod.configuration.has(.podLocalSessions) { await authenticator.sessionCache.put(session) }
        return EditedResponse(
            headers: [.setCookie: "\(Authenticator.cookieName)=\(session.token); Path=/; HttpOnly; SameSite=Lax"],
            response: sessionView(userId: key.userId, orgId: key.orgId))
    }

    func getSession(_ request: Request, context: PodRequestContext) async throws -> PodAPI.SessionView {
        let caller = try context.requireCaller()
        return sessionView(userId: caller.userId, orgId: caller.orgId)
    }

    /// Deletes the session the cookie names, whether or not it still exists.
    func signOut(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.OK> {
        guard let token = authenticator.sessionToken(request) else { throw PodError.unauthorized("No session cookie") }
        try await pod.store.deleteSession(token: token)
        await authenticator.sessionCache.remove(token)
        return EditedResponse(headers: [.setCookie: "\(Authenticator.cookieName)=; Path=/; Max-Age=0"], response: PodAPI.OK())
    }

    func createAgent(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.Created> {
        let org = try context.requireOrg()
        let body = try await request.decode(as: PodAPI.CreateAgent.self, context: context)
        guard !body.title.trimmingCharacters(in: .whitespaces).isEmpty else { throw PodError.badRequest("title must not be empty") }
        let agent = try await pod.store.createAgent(orgId: org.id, title: body.title)
        return EditedResponse(status: .created, response: PodAPI.Created(id: agent.id))
    }

    func createThread(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.ThreadCreated> {
        let org = try context.requireOrg()
        let body = try await request.decode(as: PodAPI.CreateThread.self, context: context)
        if let id = body.id { try ThreadID.validateNew(id, profile: pod.configuration.profile) }
        guard let agent = try await pod.store.agent(id: body.agentId), agent.orgId == org.id else {
            throw PodError.notFound("Agent not found")
        }
        let caller = try context.requireCaller()
        switch try await pod.store.createThread(id: body.id, orgId: org.id, agentId: agent.id, createdBy: caller.userId) {
        case .created(let thread):
            return EditedResponse(status: .created, response: PodAPI.ThreadCreated(id: thread.publicId, status: thread.status.rawValue))
        case .exists:
            throw PodError.conflict("Thread \(body.id ?? "") already exists")
        }
    }

    func thread(_ request: Request, context: PodRequestContext) async throws -> PodAPI.ThreadView {
        guard let summary = try await pod.store.threadSummary(id: try context.requireThread().id) else {
            throw PodError.notFound("Thread not found")
        }
        return PodAPI.ThreadView(summary, profile: pod.configuration.profile)
    }

    private func sessionView(userId: String, orgId: String) -> PodAPI.SessionView {
        PodAPI.SessionView(user: .init(id: userId), session: .init(orgId: orgId, pod: pod.name))
    }
}
