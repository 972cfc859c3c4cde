import AsyncHTTPClient
import PodsimClient
import PodsimModel

/// The account a bench runs as: its org, its agent, and a pod client that authenticates with
/// its API key. Setup calls go through the client; the raw-socket watchers in `Instruments/`
/// only need the stream URL and the header.
struct BenchAccount: Sendable {
    var orgSlug: String
    var agent: String
    var client: PodClient

    /// Creates an org and an agent through `pod`, over `http` so connections are reused (a
    /// latency figure must not include a TCP handshake per request).
    static func create(on pod: String, http: HTTPClient) async throws -> BenchAccount {
        let org = try await PodClient(url: pod, http: http).createOrg(name: "Bench Org")
        let client = PodClient(url: pod, credential: .apiKey(org.apiKey), http: http)
        let agent = try await client.createAgent(org: org.orgSlug, title: "bench")
        return BenchAccount(orgSlug: org.orgSlug, agent: agent.id, client: client)
    }

    /// The authentication header, for the raw-socket watchers.
    var auth: [String: String] {
        client.credential.map { [$0.header.name: $0.header.value] } ?? [:]
    }

    func createThread(on pod: String) async throws -> String {
        try await client.on(pod).createThread(org: orgSlug, agentId: agent).id
    }

    /// POSTs a user message whose text carries the mock provider's hints; returns once the pod
    /// answered 202.
    func post(hints: String, thread: String, on pod: String) async throws {
        _ = try await client.on(pod).postMessage(org: orgSlug, thread: thread, MessagesRequest(text: hints, agentId: agent))
    }

    func streamURL(on pod: String, thread: String) -> String { client.on(pod).streamURL(org: orgSlug, thread: thread) }
}

/// Runs `body` with an HTTP client that keeps enough connections per pod for the throughput
/// section's POSTs in flight, and always shuts the client down.
func withBenchHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
    configuration.timeout = .init(connect: .seconds(5))
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    do {
        let result = try await body(http)
        try? await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}
