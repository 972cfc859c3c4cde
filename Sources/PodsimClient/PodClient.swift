import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PodsimModel

/// How a caller proves who it is to a pod: an API key (sent as a bearer token) or a session
/// cookie from sign-in.
public enum PodCredential: Sendable, Equatable {
    case apiKey(String)
    case cookie(String)

    /// The header that carries it.
    public var header: (name: String, value: String) {
        switch self {
        case .apiKey(let key): ("authorization", "Bearer \(key)")
        case .cookie(let cookie): ("cookie", cookie)
        }
    }
}

/// The endpoints of the pod API, each written once: path, method, body type and answer type.
public enum PodEndpoint {
    public static let live = Endpoint(.GET, PodPath.live, answer: PodAPI.Live.self)
    public static let ready = Endpoint(.GET, PodPath.ready, answer: PodAPI.Ready.self)

    public static func createOrg(name: String, slug: String? = nil) -> Endpoint<PodAPI.OrgCreated> {
        Endpoint(.POST, PodPath.orgs, body: PodAPI.CreateOrg(name: name, slug: slug))
    }
    public static let signIn = Endpoint(.POST, PodPath.signIn, answer: PodAPI.SessionView.self)
    public static let session = Endpoint(.GET, PodPath.getSession, answer: PodAPI.SessionView.self)
    public static let signOut = Endpoint(.POST, PodPath.signOut, answer: PodAPI.OK.self)

    public static func createAgent(org: String, title: String) -> Endpoint<PodAPI.Created> {
        Endpoint(.POST, PodPath.agents(org: org), body: PodAPI.CreateAgent(title: title))
    }
    public static func createThread(org: String, agentId: String, id: String? = nil) -> Endpoint<PodAPI.ThreadCreated> {
        Endpoint(.POST, PodPath.threads(org: org), body: PodAPI.CreateThread(id: id, agentId: agentId))
    }
    public static func thread(org: String, id: String) -> Endpoint<PodAPI.ThreadView> { Endpoint(.GET, PodPath.thread(org: org, id: id)) }

    public static func postMessage(org: String, thread: String, _ body: MessagesRequest) -> Endpoint<PodAPI.Accepted> {
        Endpoint(.POST, PodPath.messages(org: org, thread: thread), body: body)
    }
    public static func cancel(org: String, thread: String) -> Endpoint<PodAPI.Cancelled> {
        Endpoint(.POST, PodPath.cancel(org: org, thread: thread))
    }

    public static func registerLink(_ body: PodAPI.RegisterLink) -> Endpoint<PodAPI.LinkView> { Endpoint(.POST, PodPath.links, body: body) }
    public static func heartbeat(link id: String) -> Endpoint<PodAPI.LinkView> { Endpoint(.POST, PodPath.heartbeat(link: id)) }
    public static func deleteLink(_ id: String) -> Endpoint<PodAPI.OK> { Endpoint(.DELETE, PodPath.link(id: id)) }
    public static let links = Endpoint(.GET, PodPath.links, answer: PodAPI.Links.self)
}

/// The pod API, one method per endpoint, for everyone who calls a pod: the scenario runner, the
/// coordinator, the link daemon, the bench's setup and the tests. It is given an `HTTPClient`
/// (`.shared` by default) rather than owning one, so there is nothing to shut down.
public struct PodClient: Sendable {
    /// A signed-in session: what sign-in answered and the cookie that carries the session.
    public struct SignedIn: Sendable, Equatable {
        public var view: PodAPI.SessionView
        public var cookie: String
    }

    public var transport: APITransport<ErrorBody>
    public var credential: PodCredential?

    public var url: String { transport.baseURL }

    public init(url: String, credential: PodCredential? = nil, timeout: Duration = .seconds(10), http: HTTPClient = .shared) {
        transport = APITransport(baseURL: url, http: http, timeout: timeout)
        self.credential = credential
    }

    /// The same caller, addressing another pod.
    public func on(_ url: String) -> PodClient {
        var client = self
        client.transport.baseURL = url
        return client
    }

    /// The same pod, called as someone else.
    public func calling(as credential: PodCredential?) -> PodClient {
        var client = self
        client.credential = credential
        return client
    }

    /// The same calls with another deadline.
    public func timeout(_ timeout: Duration) -> PodClient {
        var client = self
        client.transport.timeout = timeout
        return client
    }

    /// Calls an endpoint as this client's caller; the answer keeps its status, headers and raw
    /// body for callers that check them (the scenario runner's `send` step).
    public func call<Value>(_ endpoint: Endpoint<Value>) async throws -> APITransport<ErrorBody>.Answer<Value> {
        try await transport.send(endpoint, headers: credential.map { [$0.header] } ?? [])
    }

    // MARK: Health

    public func live() async throws -> PodAPI.Live { try await call(PodEndpoint.live).value }
    public func ready() async throws -> PodAPI.Ready { try await call(PodEndpoint.ready).value }

    // MARK: Accounts

    /// Creates an org with its first user and API key (no credential needed).
    public func createOrg(name: String, slug: String? = nil) async throws -> PodAPI.OrgCreated {
        try await call(PodEndpoint.createOrg(name: name, slug: slug)).value
    }

    /// Signs in with the client's API key; the answer's cookie authenticates later calls.
    public func signIn() async throws -> SignedIn {
        let answer = try await call(PodEndpoint.signIn)
        guard let cookie = answer.headers["set-cookie"].first?.split(separator: ";").first.map(String.init) else {
            throw APICallError.undecodable(
                method: "POST", path: PodPath.signIn, status: answer.status, body: String(decoding: answer.body, as: UTF8.self),
                reason: "no set-cookie header")
        }
        return SignedIn(view: answer.value, cookie: cookie)
    }

    public func session() async throws -> PodAPI.SessionView { try await call(PodEndpoint.session).value }
    public func signOut() async throws -> PodAPI.OK { try await call(PodEndpoint.signOut).value }

    public func createAgent(org: String, title: String) async throws -> PodAPI.Created {
        try await call(PodEndpoint.createAgent(org: org, title: title)).value
    }

    public func createThread(org: String, agentId: String, id: String? = nil) async throws -> PodAPI.ThreadCreated {
        try await call(PodEndpoint.createThread(org: org, agentId: agentId, id: id)).value
    }

    public func thread(org: String, id: String) async throws -> PodAPI.ThreadView {
        try await call(PodEndpoint.thread(org: org, id: id)).value
    }

    // MARK: Chat

    /// Posts messages to a thread; the pod answers 202 once the run is queued.
    public func postMessage(org: String, thread: String, _ body: MessagesRequest) async throws -> PodAPI.Accepted {
        try await call(PodEndpoint.postMessage(org: org, thread: thread, body)).value
    }

    /// Attaches to the thread's stream and returns once the response head arrived (check the
    /// watcher's `status`). The watcher reads until closed, the stream ends, or `lifetime` passes.
    public func attach(org: String, thread: String, lifetime: Duration = .seconds(300)) async -> StreamWatcher {
        await StreamWatcher.attach(
            url: streamURL(org: org, thread: thread), headers: credential.map { [$0.header.name: $0.header.value] } ?? [:],
            lifetime: lifetime, client: transport.http)
    }

    /// The stream's URL on this pod, for watchers that read it by other means (the bench's raw sockets).
    public func streamURL(org: String, thread: String) -> String { url + PodPath.stream(org: org, thread: thread) }

    public func cancel(org: String, thread: String) async throws -> PodAPI.Cancelled {
        try await call(PodEndpoint.cancel(org: org, thread: thread)).value
    }

    // MARK: Links

    public func registerLink(_ body: PodAPI.RegisterLink) async throws -> PodAPI.LinkView { try await call(PodEndpoint.registerLink(body)).value }
    public func heartbeat(link id: String) async throws -> PodAPI.LinkView { try await call(PodEndpoint.heartbeat(link: id)).value }
    public func deleteLink(_ id: String) async throws -> PodAPI.OK { try await call(PodEndpoint.deleteLink(id)).value }
    public func links() async throws -> PodAPI.Links { try await call(PodEndpoint.links).value }
}
