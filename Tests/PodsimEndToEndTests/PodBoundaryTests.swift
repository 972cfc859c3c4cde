#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodsimClient
import PodsimModel
import Testing

/// What a hostile local client can and cannot do to a pod (and to the other servers of a
/// cluster): forge a link URL, squat or probe another org's ids, lock an org out with a slug,
/// get an empty error body, or hold a socket open by trickling bytes.
@Suite(.serialized) struct PodBoundaryTests {
    @Test func linkURLsMustBePlainLoopback() async throws {
        try await withCluster(pods: 1) { cluster in
            let account = try await cluster.bootstrap()
            let client = cluster.client(as: account)
            for forged in [
                "http://127.0.0.1@example.invalid/", "http://localhost:1@10.0.0.1", "http://localhost.example.invalid",
                "http://127.0.0.1.example.invalid", "http://127.0.0.1:80/path", "https://127.0.0.1", "http://10.0.0.1",
                "http://127.0.0.1?x=1", "http://127.0.0.1:99999", "ftp://localhost", "127.0.0.1:80", "",
            ] {
                let refusal = try await refusal { try await client.registerLink(.init(url: forged)) }
                #expect(refusal?.status == 400, "\(forged) answered \(refusal?.description ?? "2xx")")
                #expect(refusal?.body?.error.contains("loopback") == true, "\(refusal?.text ?? "")")
            }
            for ttl: Int64 in [0, -5, .max] {
                #expect(try await refusal { try await client.registerLink(.init(url: "http://127.0.0.1:9", ttlMs: ttl)) }?.status == 400, "\(ttl)")
            }
            for accepted in ["http://127.0.0.1:9", "http://127.1.2.3:9/", "http://localhost:9", "http://[::1]:9"] {
                let link = try await client.registerLink(.init(url: accepted))
                #expect(!link.url.hasSuffix("/"), "\(accepted) registered as \(link.url)")
            }
        }
    }

    @Test func threadIdsAreScopedToTheirOrg() async throws {
        try await withCluster(pods: 1, environment: ["STUDIO_SANDBOX_RUNNER": "docker"]) { cluster in
            let alice = try await cluster.bootstrap()
            let bob = try await cluster.bootstrap()
            let (aliceThread, _) = try await cluster.thread(for: alice, id: "shared-thread")
            let (bobThread, bobAgent) = try await cluster.thread(for: bob, id: "shared-thread")
            #expect(aliceThread == "shared-thread" && bobThread == "shared-thread")

            // Each org sees its own thread under the same id; the other's runs never show.
            let posted = try await cluster.post("hello", thread: bobThread, agent: bobAgent, account: bob)
            #expect(posted.status == 202, "\(posted.body)")
            #expect(posted.json?["taskId"]?.stringValue == "shared-thread")
            try await cluster.waitForThread(bobThread, account: bob) { $0.runCompleted }
            let aliceView = try await cluster.threadState(aliceThread, account: alice)
            #expect(aliceView["runCount"]?.numberValue == 0, "\(aliceView)")
            #expect(aliceView["id"]?.stringValue == "shared-thread")

            // A duplicate within one org is still a conflict.
            let client = cluster.client(as: alice)
            let agent = try await client.createAgent(org: alice.orgSlug, title: "x")
            let again = try await refusal { try await client.createThread(org: alice.orgSlug, agentId: agent.id, id: "shared-thread") }
            #expect(again?.status == 409)
        }
    }

    @Test func aSlugCannotTakeAnotherOrgsId() async throws {
        try await withCluster(pods: 1) { cluster in
            let victimOrg = try await cluster.client().createOrg(name: "Victim")
            let victimId = victimOrg.orgId
            let victim = Account(orgSlug: victimId, userId: victimOrg.userId, apiKey: victimOrg.apiKey)
            let (thread, _) = try await cluster.thread(for: victim)
            #expect(try await cluster.threadState(thread, account: victim)["id"]?.stringValue == thread)

            for slug in [victimId, victimId.lowercased(), UUID().uuidString] {
                let squat = try await refusal { try await cluster.client().createOrg(name: "Squatter", slug: slug) }
                #expect(squat?.status == 400, "slug \(slug) answered \(squat?.description ?? "2xx")")
            }
            let view = try await cluster.client(as: victim).thread(org: victimId, id: thread)
            #expect(view.id == thread, "the victim lost access")
        }
    }

    @Test func unknownRoutesAnswerJSONEverywhere() async throws {
        try await withCluster(pods: 1) { cluster in
            let account = try await cluster.bootstrap()
            let daemon = try await cluster.cluster.startLinkDaemon(.init(name: "ld", apiKey: account.apiKey, ttlMillis: 600))
            let pod = try await HTTPExchange.send("GET", cluster.pod(1) + "/api/\(account.orgSlug)/nope", headers: account.auth)
            #expect(pod.status == 404)
            #expect(pod.json?["error"]?.stringValue?.contains("/nope") == true, "pod: '\(pod.body)'")
            let wrongMethod = try await HTTPExchange.send("DELETE", cluster.pod(1) + "/health/live")
            #expect((400..<500).contains(wrongMethod.status) && wrongMethod.json?["error"] != nil, "'\(wrongMethod.body)'")
            for url in [daemon.url + "/nope", cluster.mockAI + "/nope"] {
                let answer = try await HTTPExchange.send("GET", url)
                #expect(answer.status == 404)
                #expect(answer.json?["error"]?["message"]?.stringValue?.contains("/nope") == true, "\(url): '\(answer.body)'")
            }
        }
    }

    @Test func aTricklingClientIsDisconnected() async throws {
        try await withCluster(pods: 1) { cluster in
            let account = try await cluster.bootstrap()
            let daemon = try await cluster.cluster.startLinkDaemon(.init(name: "ld", apiKey: account.apiKey, ttlMillis: 600))
            let servers = [cluster.pod(1), cluster.mockAI, daemon.url]
            let closed = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for server in servers {
                    group.addTask { (server, try await trickleUntilClosed(server, giveUpAfter: .seconds(25))) }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for server in servers { #expect(closed[server] == true, "\(server) kept a trickling request open for 25 s") }
            // A normal request on a fresh connection still works.
            #expect(try await HTTPExchange.send("GET", cluster.pod(1) + "/health/live").status == 200)
        }
    }
}

/// Opens a connection, sends a request head one header line at a time, and reports whether the
/// server closed the connection before `giveUpAfter`.
func trickleUntilClosed(_ url: String, giveUpAfter limit: Duration) async throws -> Bool {
    guard let components = URLComponents(string: url), let port = components.port else { throw SupportError("bad url \(url)") }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SupportError("socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw SupportError("connect to \(url)") }
    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    func sendText(_ text: String) -> Bool { text.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) >= 0 } }
    guard sendText("GET /health HTTP/1.1\r\nHost: x\r\n") else { return true }
    var buffer = [UInt8](repeating: 0, count: 256)
    func closedByServer() -> Bool {
        if !sendText("X-Slow: 1\r\n") { return true }
        let read = recv(fd, &buffer, buffer.count, 0)
        return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if closedByServer() { return true }
        try await Task.sleep(for: .milliseconds(500))
    }
    // One last look, in case this task was not scheduled for a while.
    return closedByServer() || closedByServer()
}
