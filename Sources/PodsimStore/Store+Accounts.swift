import Foundation
import GRDB

/// The identity side of the store: orgs, users, API keys, sessions, agents, threads, links.
extension Store {
    /// What `POST /api/orgs` creates in one transaction.
    public struct OrgBootstrap: Sendable, Equatable {
        public var org: Org
        public var user: User
        public var apiKey: APIKey
    }

    public enum AccountError: Error, Equatable {
        case slugTaken(String)
    }

    public func createOrg(name: String, slug: String?) throws -> OrgBootstrap {
        let now = wallClock()
        let orgId = newID()
        let slug = slug ?? Self.slugify(name) + "-" + String(orgId.prefix(8)).lowercased()
        return try pool.write { db in
            if try Org.filter(Column("slug") == slug || Column("id") == slug).fetchCount(db) > 0 { throw AccountError.slugTaken(slug) }
            let org = Org(id: orgId, slug: slug, name: name, createdAt: now)
            try org.insert(db)
            let user = User(id: newID(), orgId: orgId, email: "owner@\(slug).test")
            try user.insert(db)
            let key = APIKey(key: "psk_" + newID().replacingOccurrences(of: "-", with: "").lowercased(), userId: user.id, orgId: orgId)
            try key.insert(db)
            return OrgBootstrap(org: org, user: user, apiKey: key)
        }
    }

    /// The org a URL names: by id first, then by slug (a slug can never equal an id: creation refuses it).
    public func org(idOrSlug: String) throws -> Org? {
        try pool.read { db in
            try Org.fetchOne(db, key: idOrSlug) ?? Org.filter(Column("slug") == idOrSlug).fetchOne(db)
        }
    }

    public func apiKey(_ key: String) throws -> APIKey? {
        try pool.read { db in try APIKey.fetchOne(db, key: key) }
    }

    public func createSession(for key: APIKey) throws -> Session {
        let session = Session(token: "sess_" + newID().lowercased(), userId: key.userId, orgId: key.orgId, createdAt: wallClock())
        try pool.write { db in try session.insert(db) }
        return session
    }

    public func session(token: String) throws -> Session? {
        try pool.read { db in try Session.fetchOne(db, key: token) }
    }

    /// Deletes the session; returns whether it existed.
    @discardableResult
    public func deleteSession(token: String) throws -> Bool {
        try pool.write { db in try Session.deleteOne(db, key: token) }
    }

    public func createAgent(orgId: String, title: String) throws -> Agent {
        let agent = Agent(id: newID(), orgId: orgId, title: title)
        try pool.write { db in try agent.insert(db) }
        return agent
    }

    public func agent(id: String) throws -> Agent? {
        try pool.read { db in try Agent.fetchOne(db, key: id) }
    }

    public enum ThreadCreation: Sendable, Equatable {
        case created(ChatThread)
        case exists
    }

    /// Creates the org's thread `id` (a fresh id when nil); `.exists` only when the org already has it.
    public func createThread(id: String?, orgId: String, agentId: String) throws -> ThreadCreation {
        let now = wallClock()
        let publicId = id ?? newID()
        return try pool.write { db in
            if try ChatThread.filter(Column("orgId") == orgId && Column("publicId") == publicId).fetchCount(db) > 0 { return .exists }
            var key = publicId
            while try ChatThread.exists(db, key: key) { key = publicId + "~" + newID().prefix(8).lowercased() }
            let thread = ChatThread(
                id: key, publicId: publicId, orgId: orgId, agentId: agentId, status: .completed,
                runOwnerPod: nil, sandboxProviderKind: nil, createdAt: now, updatedAt: now)
            try thread.insert(db)
            return .created(thread)
        }
    }

    /// A thread by its store key.
    public func thread(id: String) throws -> ChatThread? {
        try pool.read { db in try ChatThread.fetchOne(db, key: id) }
    }

    /// The thread an org's URLs call `publicId`.
    public func thread(orgId: String, publicId: String) throws -> ChatThread? {
        try pool.read { db in try ChatThread.filter(Column("orgId") == orgId && Column("publicId") == publicId).fetchOne(db) }
    }

    /// A thread as `GET /api/:org/threads/:id` reports it: the row plus counts the real suite reads with SQL.
    public struct ThreadSummary: Sendable, Equatable {
        public var thread: ChatThread
        public var partCount: Int
        public var runCount: Int
        public var currentRun: Run?
        public var sandboxCount: Int
    }

    public func threadSummary(id: String) throws -> ThreadSummary? {
        try pool.read { db in
            guard let thread = try ChatThread.fetchOne(db, key: id) else { return nil }
            let partCount = try MessagePart.filter(Column("threadId") == id).fetchCount(db)
            let runCount = try Run.filter(Column("threadId") == id).fetchCount(db)
            let currentRun = try Run.filter(Column("threadId") == id).order(Column("id").desc).fetchOne(db)
            let sandboxCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sandbox WHERE threadId = ?", arguments: [id]) ?? 0
            return ThreadSummary(thread: thread, partCount: partCount, runCount: runCount, currentRun: currentRun, sandboxCount: sandboxCount)
        }
    }

    public func parts(threadId: String) throws -> [MessagePart] {
        try pool.read { db in try MessagePart.filter(Column("threadId") == threadId).order(Column("id")).fetchAll(db) }
    }

    // MARK: Links

    public func registerLink(userId: String, orgId: String, url: String, capabilities: [String], ttlMs: Int64) throws -> Link {
        let link = Link(
            id: "link_" + newID().lowercased(), userId: userId, orgId: orgId, url: url,
            capabilities: capabilities.joined(separator: ","), ttlMs: ttlMs, heartbeatAt: wallClock())
        try pool.write { db in try link.insert(db) }
        return link
    }

    /// Refreshes a link's heartbeat; nil when the link does not exist or belongs to someone else.
    public func heartbeatLink(id: String, userId: String) throws -> Link? {
        let now = wallClock()
        return try pool.write { db in
            guard var link = try Link.fetchOne(db, key: id), link.userId == userId else { return nil }
            link.heartbeatAt = now
            try link.update(db)
            return link
        }
    }

    @discardableResult
    public func deleteLink(id: String, userId: String) throws -> Bool {
        try pool.write { db in
            try Link.filter(Column("id") == id && Column("userId") == userId).deleteAll(db) > 0
        }
    }

    /// The user's most recent live link, if any.
    public func liveLink(userId: String) throws -> Link? {
        let now = wallClock()
        return try pool.read { db in
            try Link.filter(Column("userId") == userId).order(Column("heartbeatAt").desc).fetchAll(db)
                .first { $0.isLive(at: now) }
        }
    }

    // MARK: Pods

    public func registerPodEndpoint(_ endpoint: PodEndpoint) throws {
        try pool.write { db in try endpoint.upsert(db) }
    }

    public func podEndpoints() throws -> [PodEndpoint] {
        try pool.read { db in try PodEndpoint.fetchAll(db) }
    }

    static func slugify(_ name: String) -> String {
        let lowered = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let slug = String(lowered).split(separator: "-").joined(separator: "-")
        return slug.isEmpty ? "org" : String(slug.prefix(32))
    }
}

func newID() -> String { UUID().uuidString }

func wallClock() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
