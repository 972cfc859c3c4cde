import AsyncHTTPClient
import Foundation
import PodsimClient
import PodsimModel

/// An account a bench created: the org to address and the key to authenticate with.
struct BenchAccount: Sendable {
    var orgSlug: String
    var apiKey: String
    var auth: [String: String] { ["authorization": "Bearer \(apiKey)"] }
}

/// The few pod API calls the bench makes, over one shared client so connections are reused
/// (a latency figure must not include a TCP handshake per request).
struct PodAPI: Sendable {
    let http: HTTPClient

    func createAccount(on pod: String) async throws -> BenchAccount {
        let created = try await expect(201, "POST", pod + "/api/orgs", body: #"{"name":"Bench Org"}"#)
        guard let slug = created["orgSlug"]?.stringValue, let key = created["apiKey"]?.stringValue else {
            throw BenchError("POST /api/orgs on \(pod) answered an unexpected body: \(created)")
        }
        return BenchAccount(orgSlug: slug, apiKey: key)
    }

    func createAgent(on pod: String, account: BenchAccount) async throws -> String {
        let created = try await expect(201, "POST", pod + "/api/\(account.orgSlug)/agents", headers: account.auth, body: #"{"title":"bench"}"#)
        guard let id = created["id"]?.stringValue else { throw BenchError("POST agents answered \(created)") }
        return id
    }

    func createThread(on pod: String, account: BenchAccount, agent: String) async throws -> String {
        let created = try await expect(
            201, "POST", pod + "/api/\(account.orgSlug)/threads", headers: account.auth, body: #"{"agentId":"\#(agent)"}"#)
        guard let id = created["id"]?.stringValue else { throw BenchError("POST threads answered \(created)") }
        return id
    }

    /// POSTs a user message whose text carries the mock provider's hints; returns once the pod
    /// answered 202.
    func post(hints: String, thread: String, agent: String, account: BenchAccount, on pod: String) async throws {
        let body = MessagesRequest(text: hints, agentId: agent).json
        _ = try await expect(202, "POST", pod + "/api/\(account.orgSlug)/decopilot/threads/\(thread)/messages", headers: account.auth, body: body)
    }

    func streamURL(_ pod: String, account: BenchAccount, thread: String) -> String {
        pod + "/api/\(account.orgSlug)/decopilot/threads/\(thread)/stream"
    }

    private func expect(
        _ status: Int, _ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil
    ) async throws -> JSONValue {
        let exchange = try await HTTPExchange.send(method, url, headers: headers, body: body, client: http)
        guard exchange.status == status else {
            throw BenchError("\(method) \(url) answered \(exchange.status) (expected \(status)): \(exchange.body.prefix(300))")
        }
        return exchange.json ?? .null
    }
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
