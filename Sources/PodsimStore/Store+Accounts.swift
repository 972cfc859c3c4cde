import Foundation

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

    public func createOrg(name: String, slug: String?) async throws -> OrgBootstrap {
        let now = now()
        let orgId = newID()
        let slug = slug ?? Self.slugify(name) + "-" + String(orgId.prefix(8)).lowercased()
        let org = Org(id: orgId, slug: slug, name: name, createdAt: now)
        let user = User(id: newID(), orgId: orgId, email: "owner@\(slug).test")
        let key = APIKey(key: "psk_" + newID().replacingOccurrences(of: "-", with: "").lowercased(), userId: user.id, orgId: orgId)
        return try await database.withTransaction { transaction in
            if try !transaction.execute("SELECT 1 FROM org WHERE slug = ? OR id = ?", arguments(slug, slug)).isEmpty {
                throw AccountError.slugTaken(slug)
            }
            try transaction.execute(
                "INSERT INTO org (id, slug, name, createdAt) VALUES (?, ?, ?, ?)", arguments(org.id, org.slug, org.name, org.createdAt))
            try transaction.execute("INSERT INTO user (id, orgId, email) VALUES (?, ?, ?)", arguments(user.id, user.orgId, user.email))
            try transaction.execute("INSERT INTO apiKey (key, userId, orgId) VALUES (?, ?, ?)", arguments(key.key, key.userId, key.orgId))
            return OrgBootstrap(org: org, user: user, apiKey: key)
        }
    }

    /// The org a URL names: by id first, then by slug (a slug can never equal an id: creation refuses it).
    public func org(idOrSlug: String) async throws -> Org? {
        try await database.read(
            "SELECT * FROM org WHERE id = ? OR slug = ? ORDER BY id = ? DESC LIMIT 1", arguments(idOrSlug, idOrSlug, idOrSlug)
        ).first.map(Org.init(row:))
    }

    public func apiKey(_ key: String) async throws -> APIKey? {
        try await database.read("SELECT * FROM apiKey WHERE key = ?", arguments(key)).first.map(APIKey.init(row:))
    }

    public func createSession(for key: APIKey) async throws -> Session {
        let session = Session(token: "sess_" + newID().lowercased(), userId: key.userId, orgId: key.orgId, createdAt: now())
        try await database.withTransaction { transaction in
            try transaction.execute(
                "INSERT INTO session (token, userId, orgId, createdAt) VALUES (?, ?, ?, ?)",
                arguments(session.token, session.userId, session.orgId, session.createdAt))
            try self.journal(JournalRecord(kind: .sessionCreated, threadId: nil, detail: session.userId), in: transaction)
        }
        return session
    }

    public func session(token: String) async throws -> Session? {
        try await database.read("SELECT * FROM session WHERE token = ?", arguments(token)).first.map(Session.init(row:))
    }

    /// Deletes the session; returns whether it existed.
    @discardableResult
    public func deleteSession(token: String) async throws -> Bool {
        try await database.withTransaction { transaction in
            guard let deleted = try transaction.execute("DELETE FROM session WHERE token = ? RETURNING userId", arguments(token)).first else {
                return false
            }
            try self.journal(JournalRecord(kind: .sessionRevoked, threadId: nil, detail: try deleted.string("userId")), in: transaction)
            return true
        }
    }

    public func createAgent(orgId: String, title: String) async throws -> Agent {
        let agent = Agent(id: newID(), orgId: orgId, title: title)
        _ = try await database.write("INSERT INTO agent (id, orgId, title) VALUES (?, ?, ?)", arguments(agent.id, agent.orgId, agent.title))
        return agent
    }

    public func agent(id: String) async throws -> Agent? {
        try await database.read("SELECT * FROM agent WHERE id = ?", arguments(id)).first.map(Agent.init(row:))
    }

    public enum ThreadCreation: Sendable, Equatable {
        case created(ChatThread)
        case exists
    }

    /// Creates the org's thread `id` (a fresh id when nil); `.exists` only when the org already has it.
    public func createThread(id: String?, orgId: String, agentId: String, createdBy: String? = nil) async throws -> ThreadCreation {
        let now = now()
        let publicId = id ?? newID()
        return try await database.withTransaction { transaction in
            if try !transaction.execute("SELECT 1 FROM thread WHERE orgId = ? AND publicId = ?", arguments(orgId, publicId)).isEmpty {
                return .exists
            }
            var key = publicId
            while try !transaction.execute("SELECT 1 FROM thread WHERE id = ?", arguments(key)).isEmpty {
                key = publicId + "~" + newID().prefix(8).lowercased()
            }
            let thread = ChatThread(
                id: key, publicId: publicId, orgId: orgId, agentId: agentId, status: .completed,
                runOwnerPod: nil, sandboxProviderKind: nil, createdAt: now, updatedAt: now, hosted: HostedThreadState(createdBy: createdBy))
            try transaction.execute(
                """
                INSERT INTO thread (id, publicId, orgId, agentId, status, runOwnerPod, sandboxProviderKind, createdAt, updatedAt, createdBy)
                VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)
                """,
                arguments(thread.id, thread.publicId, thread.orgId, thread.agentId, thread.status.rawValue, now, now, createdBy))
            return .created(thread)
        }
    }

    /// A thread by its store key.
    public func thread(id: String) async throws -> ChatThread? {
        try await database.read("SELECT * FROM thread WHERE id = ?", arguments(id)).first.map(ChatThread.init(row:))
    }

    /// The thread an org's URLs call `publicId`.
    public func thread(orgId: String, publicId: String) async throws -> ChatThread? {
        try await database.read("SELECT * FROM thread WHERE orgId = ? AND publicId = ?", arguments(orgId, publicId)).first.map(ChatThread.init(row:))
    }

    /// A thread as `GET /api/:org/threads/:id` reports it: the row plus counts the real suite reads with SQL.
    public struct ThreadSummary: Sendable, Equatable {
        public var thread: ChatThread
        public var partCount: Int
        public var runCount: Int
        public var currentRun: Run?
        public var sandboxCount: Int
        /// Hosted profile: assistant parts other than `finish` anchors.
        public var renderablePartCount: Int
        /// Hosted profile: the pods running the current turn's gate and child (nil when none).
        public var gatePod: String?
        public var executorPod: String?
    }

    /// One statement, so the row, the counts and the current run come from one snapshot.
    public func threadSummary(id: String) async throws -> ThreadSummary? {
        let rows = try await database.read(
            """
            SELECT t.*,
              (SELECT count(*) FROM part WHERE threadId = t.id) AS partCount,
              (SELECT count(*) FROM run WHERE threadId = t.id)
                + (SELECT count(*) FROM workflow WHERE threadId = t.id AND kind = 'gate') AS runCount,
              (SELECT count(*) FROM sandbox WHERE threadId = t.id) AS sandboxCount,
              (SELECT count(*) FROM part WHERE threadId = t.id AND role = 'assistant' AND type <> 'finish') AS renderablePartCount,
              (SELECT executor FROM workflow WHERE threadId = t.id AND kind = 'gate' AND status = 'PENDING') AS gatePod,
              (SELECT executor FROM workflow WHERE threadId = t.id AND kind = 'child' AND status = 'PENDING' AND fence = t.fence) AS executorPod,
              \(Run.columns(prefixedWith: "run_", from: "r"))
            FROM thread t LEFT JOIN run r ON r.id = (SELECT max(id) FROM run WHERE threadId = t.id)
            WHERE t.id = ?
            """,
            arguments(id))
        guard let row = rows.first else { return nil }
        let currentRun = try row.optionalInt64("run_id") == nil ? nil : try Run(row: row, prefix: "run_")
        return ThreadSummary(
            thread: try ChatThread(row: row), partCount: try row.int("partCount"), runCount: try row.int("runCount"),
            currentRun: currentRun, sandboxCount: try row.int("sandboxCount"), renderablePartCount: try row.int("renderablePartCount"),
            gatePod: try row.optionalString("gatePod"), executorPod: try row.optionalString("executorPod"))
    }

    public func parts(threadId: String) async throws -> [MessagePart] {
        try await database.read("SELECT * FROM part WHERE threadId = ? ORDER BY id", arguments(threadId)).map(MessagePart.init(row:))
    }

    // MARK: Links

    public func registerLink(userId: String, orgId: String, url: String, capabilities: [String], ttlMs: Int64) async throws -> Link {
        let link = Link(
            id: "link_" + newID().lowercased(), userId: userId, orgId: orgId, url: url,
            capabilities: capabilities.joined(separator: ","), ttlMs: ttlMs, heartbeatAt: now())
        _ = try await database.write(
            "INSERT INTO link (id, userId, orgId, url, capabilities, ttlMs, heartbeatAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments(link.id, link.userId, link.orgId, link.url, link.capabilities, link.ttlMs, link.heartbeatAt))
        return link
    }

    /// Refreshes a link's heartbeat; nil when the link does not exist or belongs to someone else.
    public func heartbeatLink(id: String, userId: String) async throws -> Link? {
        try await database.write(
            "UPDATE link SET heartbeatAt = ? WHERE id = ? AND userId = ? RETURNING *", arguments(now(), id, userId)
        ).first.map(Link.init(row:))
    }

    @discardableResult
    public func deleteLink(id: String, userId: String) async throws -> Bool {
        try await !database.write("DELETE FROM link WHERE id = ? AND userId = ? RETURNING id", arguments(id, userId)).isEmpty
    }

    /// The user's most recent live link, if any.
    public func liveLink(userId: String) async throws -> Link? {
        let now = now()
        return try await database.read("SELECT * FROM link WHERE userId = ? ORDER BY heartbeatAt DESC", arguments(userId))
            .map(Link.init(row:)).first { $0.isLive(at: now) }
    }

    // MARK: Pods

    /// Records where a starting pod listens for signals. A starting pod watches no thread yet,
    /// so the rows an earlier process of that name left in `watch` go in the same write.
    public func registerPodEndpoint(_ endpoint: PodEndpoint) async throws {
        try await database.withTransaction { transaction in
            try transaction.execute(
                """
                INSERT INTO podEndpoint (name, signalPort, pid, startedAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET signalPort = excluded.signalPort, pid = excluded.pid, startedAt = excluded.startedAt
                """,
                arguments(endpoint.name, endpoint.signalPort, Int(endpoint.pid), endpoint.startedAt))
            try transaction.execute("DELETE FROM watch WHERE pod = ?", arguments(endpoint.name))
        }
    }

    public func podEndpoints() async throws -> [PodEndpoint] {
        try await database.read("SELECT * FROM podEndpoint").map(PodEndpoint.init(row:))
    }

    static func slugify(_ name: String) -> String {
        let lowered = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let slug = String(lowered).split(separator: "-").joined(separator: "-")
        return slug.isEmpty ? "org" : String(slug.prefix(32))
    }
}

func newID() -> String { UUID().uuidString }

