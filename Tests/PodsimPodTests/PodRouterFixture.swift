import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import PodsimModel
@testable import PodsimPod
import PodsimStore
import Testing

/// The pod's router on a fresh store file in a temporary directory, driven by HummingbirdTesting's
/// in-process client (or, with `.live`, a server on a loopback port, for streams that never end).
/// The pod's loops never start: only what the routes call runs.
struct PodRouterFixture: Sendable {
    let client: any TestClientProtocol
    let store: Store
    let podName: String
    /// The engine behind the routes, for tests that drive what its services would.
    let engine: any ChatEngine

    static func test(
        bugs: Set<BugSwitch> = [], profile: ServerProfile = .seed, setup: TestingSetup = .router,
        _ body: @Sendable (PodRouterFixture) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-router-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        let store = try await Store.create(at: path, clock: wallClockMillis)
        let socket = try ChangeSignalSocket()
        defer { socket.close() }
        let configuration = PodConfiguration(
            name: "pod-test", profile: profile, port: 0, storePath: path, providerURL: "http://127.0.0.1:9", bugs: bugs)
        let pod = PodContext(
            configuration: configuration, store: store, bus: SignalBus(store: store, socket: socket),
            provider: ProviderClient(baseURL: configuration.providerURL, http: .shared, podName: configuration.name),
            sandboxes: Sandboxes(store: store, http: .shared, podName: configuration.name, dockerAvailable: false))
        let engine = pod.makeEngine()
        try await Application(router: PodRouter.build(pod: pod, engine: engine)).test(setup) { client in
            try await body(PodRouterFixture(client: client, store: store, podName: configuration.name, engine: engine))
        }
    }

    /// One request; `body` is sent as it is, so tests can send malformed JSON.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// One request with an encoded body.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], json: some Encodable) async throws -> TestResponse {
        try await send(method, path, headers: headers, body: String(decoding: try PodAPI.encoder.encode(json), as: UTF8.self))
    }

    /// An org with its owner's key, an agent and a thread, created through the API.
    func createAccount(slug: String? = nil) async throws -> Account {
        let org = try await send(.post, PodPath.orgs, json: PodAPI.CreateOrg(name: "Acme", slug: slug))
        try #require(org.status == .created, "\(org.text)")
        let created = try org.decode(PodAPI.OrgCreated.self)
        let auth: HTTPFields = [.authorization: "Bearer \(created.apiKey)"]
        let agent = try await send(.post, PodPath.agents(org: created.orgSlug), headers: auth, json: PodAPI.CreateAgent(title: "helper"))
        let agentId = try agent.decode(PodAPI.Created.self).id
        let thread = try await send(.post, PodPath.threads(org: created.orgSlug), headers: auth, json: PodAPI.CreateThread(agentId: agentId))
        try #require(thread.status == .created, "\(thread.text)")
        return Account(created: created, agentId: agentId, threadId: try thread.decode(PodAPI.ThreadCreated.self).id)
    }

    /// A session cookie for the account, from `POST /api/auth/sign-in`.
    func signIn(_ account: Account) async throws -> HTTPFields {
        let signedIn = try await send(.post, PodPath.signIn, headers: account.auth)
        try #require(signedIn.status == .ok, "\(signedIn.text)")
        let setCookie = try #require(signedIn.headers[.setCookie])
        return [.cookie: String(setCookie.prefix { $0 != ";" })]
    }
}

/// What `createAccount` made.
struct Account: Sendable {
    let created: PodAPI.OrgCreated
    let agentId: String
    let threadId: String

    var slug: String { created.orgSlug }
    var auth: HTTPFields { [.authorization: "Bearer \(created.apiKey)"] }
    var messages: String { PodPath.messages(org: slug, thread: threadId) }
    var messageBody: MessagesRequest { MessagesRequest(text: "hi", agentId: agentId) }
}

extension TestResponse {
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    /// The pod's error body, required to be exactly `{"error": …, "code"?: …}` JSON.
    func errorBody() throws -> ErrorBody {
        #expect(headers[.contentType] == "application/json; charset=utf-8", "\(status) \(text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any], "\(text)")
        #expect(Set(object.keys).isSubset(of: ["error", "code"]), "\(text)")
        let error = try decode(ErrorBody.self)
        #expect(!error.error.isEmpty)
        return error
    }
}
