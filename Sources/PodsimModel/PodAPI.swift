import Foundation

/// The bodies of the pod API (see the README's "The pod API"), one type per body. The pod's
/// routes decode requests and encode responses with these types, and `PodClient` does the
/// reverse, so a field added here reaches both sides at once. Paths live in `PodPath`.
public enum PodAPI {
    // MARK: JSON

    /// How every pod body is written: sorted keys and unescaped slashes, so a response is the
    /// same bytes on every pod and a URL in a body reads as written.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// How every pod body is read.
    public static let decoder = JSONDecoder()

    // MARK: Health

    /// `GET /health/live`.
    public struct Live: Codable, Sendable, Equatable {
        public var status: String
        public init(status: String = "ok") { self.status = status }
    }

    /// `GET /health/ready`: `ready`, `not_ready` or `shutting_down`.
    public struct Ready: Codable, Sendable, Equatable {
        public struct Service: Codable, Sendable, Equatable {
            public var status: String
            public init(status: String) { self.status = status }
        }

        public var status: String
        public var services: [String: Service]?
        public init(status: String, services: [String: Service]? = nil) {
            self.status = status
            self.services = services
        }
    }

    // MARK: Accounts

    /// `POST /api/orgs`.
    public struct CreateOrg: Codable, Sendable, Equatable {
        public var name: String
        public var slug: String?
        public init(name: String, slug: String? = nil) {
            self.name = name
            self.slug = slug
        }
    }

    /// `POST /api/orgs` → 201.
    public struct OrgCreated: Codable, Sendable, Equatable {
        public var orgId: String
        public var orgSlug: String
        public var userId: String
        public var apiKey: String
        public init(orgId: String, orgSlug: String, userId: String, apiKey: String) {
            self.orgId = orgId
            self.orgSlug = orgSlug
            self.userId = userId
            self.apiKey = apiKey
        }
    }

    /// `POST /api/auth/sign-in` and `GET /api/auth/get-session`.
    public struct SessionView: Codable, Sendable, Equatable {
        public struct User: Codable, Sendable, Equatable {
            public var id: String
            public init(id: String) { self.id = id }
        }

        public struct Session: Codable, Sendable, Equatable {
            public var orgId: String
            /// The pod that answered.
            public var pod: String
            public init(orgId: String, pod: String) {
                self.orgId = orgId
                self.pod = pod
            }
        }

        public var user: User
        public var session: Session
        public init(user: User, session: Session) {
            self.user = user
            self.session = session
        }
    }

    /// `POST /api/:org/agents`.
    public struct CreateAgent: Codable, Sendable, Equatable {
        public var title: String
        public init(title: String) { self.title = title }
    }

    /// `POST /api/:org/agents` → 201.
    public struct Created: Codable, Sendable, Equatable {
        public var id: String
        public init(id: String) { self.id = id }
    }

    /// `POST /api/:org/threads`.
    public struct CreateThread: Codable, Sendable, Equatable {
        public var id: String?
        public var agentId: String
        public init(id: String? = nil, agentId: String) {
            self.id = id
            self.agentId = agentId
        }
    }

    /// `POST /api/:org/threads` → 201.
    public struct ThreadCreated: Codable, Sendable, Equatable {
        public var id: String
        public var status: String
        public init(id: String, status: String) {
            self.id = id
            self.status = status
        }
    }

    /// `GET /api/:org/threads/:id`: the thread plus what the real suite reads with SQL.
    public struct ThreadView: Codable, Sendable, Equatable {
        public struct Run: Codable, Sendable, Equatable {
            public var id: Int64
            public var state: String
            public var attempt: Int
            public var ownerPod: String?
            public var providerKind: String
            public var error: String?
            public init(id: Int64, state: String, attempt: Int, ownerPod: String?, providerKind: String, error: String?) {
                self.id = id
                self.state = state
                self.attempt = attempt
                self.ownerPod = ownerPod
                self.providerKind = providerKind
                self.error = error
            }
        }

        public var id: String
        public var agentId: String
        public var status: String
        public var runOwnerPod: String?
        public var sandboxProviderKind: String?
        public var partCount: Int
        public var runCount: Int
        public var sandboxCount: Int
        public var currentRun: Run?
        /// Hosted profile only: the current turn's fence (`threads.run_fence_token`).
        public var fence: String?
        /// Hosted profile only: why the last run failed (`failure_kind`, `failure_reason`).
        public var failureKind: String?
        public var failureReason: String?
        /// Hosted profile only: the pod executing the current turn's child (null when none) and its gate.
        public var executorPod: String?
        public var gatePod: String?
        /// Hosted profile only: assistant parts other than `finish` anchors (`countRenderableAssistantParts`).
        public var renderablePartCount: Int?
        public init(
            id: String, agentId: String, status: String, runOwnerPod: String?, sandboxProviderKind: String?, partCount: Int,
            runCount: Int, sandboxCount: Int, currentRun: Run?, fence: String? = nil, failureKind: String? = nil,
            failureReason: String? = nil, executorPod: String? = nil, gatePod: String? = nil, renderablePartCount: Int? = nil
        ) {
            self.fence = fence
            self.failureKind = failureKind
            self.failureReason = failureReason
            self.executorPod = executorPod
            self.gatePod = gatePod
            self.renderablePartCount = renderablePartCount
            self.id = id
            self.agentId = agentId
            self.status = status
            self.runOwnerPod = runOwnerPod
            self.sandboxProviderKind = sandboxProviderKind
            self.partCount = partCount
            self.runCount = runCount
            self.sandboxCount = sandboxCount
            self.currentRun = currentRun
        }
    }

    // MARK: Chat

    /// `POST /api/:org/decopilot/threads/:id/messages` → 202: the task id is the thread's id.
    public struct Accepted: Codable, Sendable, Equatable {
        public var taskId: String
        public init(taskId: String) { self.taskId = taskId }
    }

    /// `POST /api/:org/decopilot/cancel/:id` → 200, or 202 with `async` when another pod stops the run.
    public struct Cancelled: Codable, Sendable, Equatable {
        public var cancelled: Bool
        public var async: Bool?
        public init(cancelled: Bool, async: Bool? = nil) {
            self.cancelled = cancelled
            self.async = async
        }
    }

    /// `GET /api/:org/decopilot/queue/:id` (hosted): the turns waiting in the thread's partition,
    /// in the order they will run.
    public struct QueuedTurns: Codable, Sendable, Equatable {
        public struct Item: Codable, Sendable, Equatable {
            /// The gate workflow's id, `thread-run:<thread>:<message>`: what `…/queue/:id/cancel/:workflowId` takes.
            public var id: String
            public var messageId: String
            public var priority: Int
            public var createdAt: Int64
            public init(id: String, messageId: String, priority: Int, createdAt: Int64) {
                self.id = id
                self.messageId = messageId
                self.priority = priority
                self.createdAt = createdAt
            }
        }

        public var items: [Item]
        public init(items: [Item]) { self.items = items }
    }

    // MARK: Links

    /// `POST /api/links`.
    public struct RegisterLink: Codable, Sendable, Equatable {
        public var url: String
        public var capabilities: [String]?
        public var ttlMs: Int64?
        public init(url: String, capabilities: [String]? = nil, ttlMs: Int64? = nil) {
            self.url = url
            self.capabilities = capabilities
            self.ttlMs = ttlMs
        }
    }

    /// A registered link, as `POST /api/links`, its heartbeat and `GET /api/links` report it.
    public struct LinkView: Codable, Sendable, Equatable {
        public var id: String
        public var userId: String
        public var url: String
        public var capabilities: [String]
        public var ttlMs: Int64
        public var live: Bool
        public init(id: String, userId: String, url: String, capabilities: [String], ttlMs: Int64, live: Bool) {
            self.id = id
            self.userId = userId
            self.url = url
            self.capabilities = capabilities
            self.ttlMs = ttlMs
            self.live = live
        }
    }

    /// `GET /api/links`: the caller's live link, if any.
    public struct Links: Codable, Sendable, Equatable {
        public var links: [LinkView]
        public init(links: [LinkView]) { self.links = links }
    }

    /// `{"ok": true}`: sign-out and link deletion.
    public struct OK: Codable, Sendable, Equatable {
        public var ok: Bool
        public init(ok: Bool = true) { self.ok = ok }
    }
}

/// The paths of the pod API, written once for the routes' documentation and the client.
public enum PodPath {
    public static let live = "/health/live"
    public static let ready = "/health/ready"
    public static let orgs = "/api/orgs"
    public static let signIn = "/api/auth/sign-in"
    public static let getSession = "/api/auth/get-session"
    public static let signOut = "/api/auth/sign-out"
    public static let links = "/api/links"

    public static func agents(org: String) -> String { "/api/\(escaped(org))/agents" }
    public static func threads(org: String) -> String { "/api/\(escaped(org))/threads" }
    public static func thread(org: String, id: String) -> String { "/api/\(escaped(org))/threads/\(escaped(id))" }
    public static func messages(org: String, thread: String) -> String {
        "/api/\(escaped(org))/decopilot/threads/\(escaped(thread))/messages"
    }
    public static func stream(org: String, thread: String) -> String {
        "/api/\(escaped(org))/decopilot/threads/\(escaped(thread))/stream"
    }
    public static func cancel(org: String, thread: String) -> String { "/api/\(escaped(org))/decopilot/cancel/\(escaped(thread))" }
    public static func queue(org: String, thread: String) -> String { "/api/\(escaped(org))/decopilot/queue/\(escaped(thread))" }
    public static func cancelQueued(org: String, thread: String, workflow: String) -> String {
        queue(org: org, thread: thread) + "/cancel/\(escaped(workflow))"
    }
    public static func link(id: String) -> String { "/api/links/\(escaped(id))" }
    public static func heartbeat(link id: String) -> String { "/api/links/\(escaped(id))/heartbeat" }

    /// A path segment, percent-encoded so that any id (even one a pod will refuse) stays one segment.
    public static func escaped(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}
