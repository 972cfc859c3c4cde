import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PodsimClient
import PodsimModel
@testable import PodsimStore
import Testing
import Yams

/// One response an OpenAPI file documents: an operation (method and path template) and a status.
struct DocumentedResponse: Hashable, Comparable, CustomStringConvertible {
    var method: String
    var path: String
    var status: Int

    var description: String { "\(method) \(path) \(status)" }

    static func < (lhs: DocumentedResponse, rhs: DocumentedResponse) -> Bool {
        (lhs.path, lhs.method, lhs.status) < (rhs.path, rhs.method, rhs.status)
    }
}

/// The responses an OpenAPI file documents, each with the media type of its body (nil: no body).
struct OpenAPIResponses {
    let mediaTypes: [DocumentedResponse: String?]

    init(file: String) throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            throw SupportError("\(file) has no paths")
        }
        let components = root["components"] as? [String: Any]
        var mediaTypes: [DocumentedResponse: String?] = [:]
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = (item as? [String: Any])?[method] as? [String: Any],
                    let responses = operation["responses"] as? [String: Any]
                else { continue }
                for (status, response) in responses {
                    guard let code = Int(status) else { throw SupportError("\(file): \(method) \(path) documents status \(status)") }
                    let resolved = try Self.resolve(response, in: components)
                    let content = resolved["content"] as? [String: Any]
                    // `.some`: a response without a body is documented too (assigning nil would drop it).
                    mediaTypes[DocumentedResponse(method: method.uppercased(), path: path, status: code)] = .some(content?.keys.sorted().first)
                }
            }
        }
        self.mediaTypes = mediaTypes
    }

    /// A response object, following its `$ref` into `components.responses`.
    private static func resolve(_ response: Any, in components: [String: Any]?) throws -> [String: Any] {
        guard let object = response as? [String: Any] else { throw SupportError("a response is not an object") }
        guard let reference = object["$ref"] as? String else { return object }
        let name = String(reference.dropFirst("#/components/responses/".count))
        guard let target = (components?["responses"] as? [String: Any])?[name] as? [String: Any] else {
            throw SupportError("unresolved \(reference)")
        }
        return target
    }
}

/// What a pod or the coordinator answered: the status, the body's media type (nil without a
/// `content-type`) and the body (empty for a stream, which never ends).
struct ConformanceAnswer {
    var status: Int
    var mediaType: String?
    var headers: HTTPHeaders
    var body: String

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }
}

/// Sends the table's requests, checks each got the status and media type the description
/// documents for it, and keeps which documented responses were produced.
struct ConformanceRun {
    let documented: [DocumentedResponse: String?]
    private(set) var produced: Set<DocumentedResponse> = []

    init(_ responses: OpenAPIResponses) { documented = responses.mediaTypes }

    /// Calls `template` (its `{name}` parameters filled from `parameters`) on `base` and expects
    /// `status` with the documented media type.
    @discardableResult
    mutating func expect(
        _ status: Int, _ method: String, _ template: String, on base: String, _ parameters: [String: String] = [:],
        headers: [String: String] = [:], body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ConformanceAnswer {
        var path = template
        for (name, value) in parameters { path = path.replacingOccurrences(of: "{\(name)}", with: PodPath.escaped(value)) }
        let answer = try await Self.send(method, base + path, headers: headers, body: body)
        check(answer, DocumentedResponse(method: method, path: template, status: status), sourceLocation: sourceLocation)
        return answer
    }

    /// Checks an answer to a request of `expected`'s operation against it, and records it.
    mutating func check(_ answer: ConformanceAnswer, _ expected: DocumentedResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == expected.status, "\(expected): got \(answer.status) \(answer.body)", sourceLocation: sourceLocation)
        #expect(documented[expected] != nil, "\(expected) is not documented", sourceLocation: sourceLocation)
        if let mediaType = documented[expected] {
            #expect(answer.mediaType == mediaType, "\(expected): media type \(answer.mediaType ?? "none")", sourceLocation: sourceLocation)
        }
        produced.insert(DocumentedResponse(method: expected.method, path: expected.path, status: answer.status))
    }

    /// The documented responses no request produced, and the responses produced that are not documented.
    var mismatches: (neverProduced: [DocumentedResponse], undocumented: [DocumentedResponse]) {
        (Set(documented.keys).subtracting(produced).sorted(), produced.subtracting(documented.keys).sorted())
    }

    static func send(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil) async throws -> ConformanceAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let mediaType = response.headers.first(name: "content-type").map {
            $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? $0
        }
        // A stream never ends: its head is the answer, and dropping the body ends the request.
        let status = Int(response.status.code)
        if mediaType == "text/event-stream" { return ConformanceAnswer(status: status, mediaType: mediaType, headers: response.headers, body: "") }
        let collected = try await response.body.collect(upTo: 4 << 20)
        return ConformanceAnswer(status: status, mediaType: mediaType, headers: response.headers, body: String(buffer: collected))
    }
}

extension EndToEnd {
    /// `openapi/pod.yaml` and `openapi/control.yaml` stay true: against a real seed cluster and a
    /// real hosted one, a table of requests produces every documented (operation, status) with
    /// its documented media type, and nothing undocumented.
    @Suite struct OpenAPIConformance {
        /// An account created through a pod.
        struct Account {
            var slug: String
            var key: String
            var bearer: [String: String] { ["authorization": "Bearer \(key)"] }
        }

        @Test func everyDocumentedResponseIsProducedAndNothingElse() async throws {
            var pod = ConformanceRun(try OpenAPIResponses(file: "openapi/pod.yaml"))
            var control = ConformanceRun(try OpenAPIResponses(file: "openapi/control.yaml"))
            #expect(pod.documented.count > 60 && control.documented.count > 15, "the descriptions lost their operations")

            try await Self.withUp([]) { up, cluster in try await Self.seed(up, cluster, &pod, &control) }
            try await Self.withUp(["--profile", "hosted"]) { up, cluster in try await Self.hosted(up, cluster, &pod, &control) }

            for (name, run) in [("pod.yaml", pod), ("control.yaml", control)] {
                let (neverProduced, undocumented) = run.mismatches
                #expect(neverProduced.isEmpty, "\(name) documents responses no request produced: \(neverProduced)")
                #expect(undocumented.isEmpty, "requests produced responses \(name) does not document: \(undocumented)")
            }
        }

        /// Runs `body` against a `podsim up` cluster and always stops it.
        static func withUp(
            _ arguments: [String], _ body: (ControlAPIHardeningTests.Up, ClusterDescription) async throws -> Void
        ) async throws {
            let up = try await ControlAPIHardeningTests.Up.start(arguments)
            do {
                let cluster = try await ControlClient(url: up.control).cluster()
                try await body(up, cluster)
            } catch {
                up.up.process.terminate()
                up.up.process.waitUntilExit()
                throw error
            }
            try await up.stop()
        }

        static func createAccount(_ run: inout ConformanceRun, on base: String) async throws -> Account {
            let answer = try await run.expect(201, "POST", "/api/orgs", on: base, body: #"{"name":"OpenAPI Org"}"#)
            guard let slug = answer.json?["orgSlug"]?.stringValue, let key = answer.json?["apiKey"]?.stringValue else {
                throw SupportError("no account in \(answer.body)")
            }
            return Account(slug: slug, key: key)
        }

        /// POSTs `body` to `template` in `org`, expects 201, and returns the answer's `field`.
        static func create(
            _ field: String, _ run: inout ConformanceRun, _ template: String, on base: String, org: String, as account: Account, body: String
        ) async throws -> String {
            let answer = try await run.expect(201, "POST", template, on: base, ["org": org], headers: account.bearer, body: body)
            guard let value = answer.json?[field]?.stringValue else { throw SupportError("no \(field) in \(answer.body)") }
            return value
        }

        /// The session token a sign-in's `Set-Cookie` carries.
        static func signIn(_ run: inout ConformanceRun, on base: String, as account: Account) async throws -> String {
            let answer = try await run.expect(200, "POST", "/api/auth/sign-in", on: base, headers: account.bearer)
            guard let cookie = answer.headers.first(name: "set-cookie"), cookie.hasPrefix("podsim_session="),
                let token = cookie.dropFirst("podsim_session=".count).split(separator: ";").first
            else { throw SupportError("no session cookie in \(answer.headers)") }
            return String(token)
        }

        static func userMessage(_ text: String, id: String = UUID().uuidString.lowercased(), agent: String? = nil, kind: String? = nil) -> String {
            let message = #"{"messages":[{"id":"\#(id)","role":"user","parts":[{"type":"text","text":"\#(text)"}]}]"#
            return message + (agent.map { #","agent":{"id":"\#($0)"}"# } ?? "") + (kind.map { #","sandboxProviderKind":"\#($0)""# } ?? "") + "}"
        }

        /// Polls the thread (as `account` sees it on `base`) until `condition` holds.
        static func waitForThread(
            _ thread: String, on base: String, as account: Account, _ condition: @escaping (JSONValue) -> Bool
        ) async throws -> JSONValue {
            var last: JSONValue = .null
            let reached = try await eventually(timeout: .seconds(20)) {
                let answer = try await ConformanceRun.send("GET", base + PodPath.thread(org: account.slug, id: thread), headers: account.bearer)
                last = answer.json ?? .null
                return condition(last)
            }
            guard reached else { throw SupportError("thread \(thread) never reached the expected state; last: \(last)") }
            return last
        }

        // MARK: Seed

        static func seed(
            _ up: ControlAPIHardeningTests.Up, _ cluster: ClusterDescription, _ run: inout ConformanceRun, _ control: inout ConformanceRun
        ) async throws {
            let pods = cluster.pods.map(\.url)
            let base = pods[0]
            try await run.expect(200, "GET", "/health/live", on: base)
            try await run.expect(200, "GET", "/health/ready", on: base)

            // Accounts.
            let account = try await createAccount(&run, on: base)
            let stranger = try await createAccount(&run, on: base)
            try await run.expect(400, "POST", "/api/orgs", on: base, body: #"{"name":"  "}"#)
            let slug = "oa-" + UUID().uuidString.prefix(8).lowercased()
            try await run.expect(201, "POST", "/api/orgs", on: base, body: #"{"name":"Slugged","slug":"\#(slug)"}"#)
            try await run.expect(409, "POST", "/api/orgs", on: base, body: #"{"name":"Slugged again","slug":"\#(slug)"}"#)

            let session = try await signIn(&run, on: base, as: account)
            try await run.expect(401, "POST", "/api/auth/sign-in", on: base)
            try await run.expect(200, "GET", "/api/auth/get-session", on: base, headers: ["cookie": "podsim_session=\(session)"])
            try await run.expect(401, "GET", "/api/auth/get-session", on: base)
            try await run.expect(200, "POST", "/api/auth/sign-out", on: base, headers: ["cookie": "podsim_session=\(session)"])
            try await run.expect(401, "POST", "/api/auth/sign-out", on: base)

            let org = ["org": account.slug]
            let agents = "/api/{org}/agents"
            let agent = try await create("id", &run, agents, on: base, org: account.slug, as: account, body: #"{"title":"helper"}"#)
            try await run.expect(400, "POST", agents, on: base, org, headers: account.bearer, body: #"{"title":" "}"#)
            try await run.expect(401, "POST", agents, on: base, org, body: #"{"title":"helper"}"#)
            try await run.expect(403, "POST", agents, on: base, org, headers: stranger.bearer, body: #"{"title":"helper"}"#)
            try await run.expect(404, "POST", agents, on: base, ["org": "no-such-org"], headers: account.bearer, body: #"{"title":"helper"}"#)

            let threads = "/api/{org}/threads"
            let newThread = #"{"agentId":"\#(agent)"}"#
            func thread() async throws -> String {
                try await create("id", &run, threads, on: base, org: account.slug, as: account, body: newThread)
            }
            let named = "oa-" + UUID().uuidString.prefix(8).lowercased()
            try await run.expect(201, "POST", threads, on: base, org, headers: account.bearer, body: #"{"id":"\#(named)","agentId":"\#(agent)"}"#)
            try await run.expect(409, "POST", threads, on: base, org, headers: account.bearer, body: #"{"id":"\#(named)","agentId":"\#(agent)"}"#)
            try await run.expect(400, "POST", threads, on: base, org, headers: account.bearer, body: #"{"id":"a.b","agentId":"\#(agent)"}"#)
            try await run.expect(401, "POST", threads, on: base, org, body: newThread)
            try await run.expect(403, "POST", threads, on: base, org, headers: stranger.bearer, body: newThread)
            try await run.expect(404, "POST", threads, on: base, org, headers: account.bearer, body: #"{"agentId":"no-such-agent"}"#)

            try await expectThreadErrors(&run, "GET", "/api/{org}/threads/{id}", on: base, account: account, stranger: stranger, existing: named)
            try await run.expect(200, "GET", "/api/{org}/threads/{id}", on: base, ["org": account.slug, "id": named], headers: account.bearer)

            // Chat.
            let messages = "/api/{org}/decopilot/threads/{id}/messages"
            let busy = try await thread()
            try await run.expect(202, "POST", messages, on: base, ["org": account.slug, "id": busy], headers: account.bearer,
                body: userMessage("hold:oa-seed", agent: agent, kind: "docker"))
            let remote = try await thread()
            try await run.expect(409, "POST", messages, on: base, ["org": account.slug, "id": remote], headers: account.bearer,
                body: userMessage("hi", agent: agent, kind: "remote-user"))
            try await run.expect(400, "POST", messages, on: base, ["org": account.slug, "id": busy], headers: account.bearer,
                body: #"{"messages":[],"agent":{"id":"\#(agent)"}}"#)
            try await expectThreadErrors(&run, "POST", messages, on: base, account: account, stranger: stranger, existing: busy,
                body: userMessage("hi", agent: agent, kind: "docker"), checksIdFirst: true)

            let stream = "/api/{org}/decopilot/threads/{id}/stream"
            try await run.expect(200, "GET", stream, on: base, ["org": account.slug, "id": busy], headers: account.bearer)
            try await expectThreadErrors(&run, "GET", stream, on: base, account: account, stranger: stranger, existing: busy, checksIdFirst: true)

            // A cancel asked of a pod that does not run the attempt is completed by the owner: 202.
            let cancel = "/api/{org}/decopilot/cancel/{id}"
            let state = try await waitForThread(busy, on: base, as: account) { $0["currentRun"]?["state"]?.stringValue == "running" }
            guard let owner = state["runOwnerPod"]?.stringValue, let elsewhere = cluster.pods.first(where: { $0.name != owner })?.url else {
                throw SupportError("no owner in \(state)")
            }
            let requested = try await run.expect(202, "POST", cancel, on: elsewhere, ["org": account.slug, "id": busy], headers: account.bearer)
            #expect(requested.json?["async"] == .bool(true), "\(requested.body)")
            try await MockAIControlClient(url: cluster.mockAI.url).release(gate: "oa-seed")
            let idle = try await run.expect(200, "POST", cancel, on: base, ["org": account.slug, "id": named], headers: account.bearer)
            #expect(idle.json?["cancelled"] == .bool(false), "\(idle.body)")
            try await expectThreadErrors(&run, "POST", cancel, on: base, account: account, stranger: stranger, existing: named, checksIdFirst: true)

            // Links.
            let link = #"{"url":"http://127.0.0.1:9","ttlMs":60000}"#
            let registered = try await run.expect(201, "POST", "/api/links", on: base, headers: account.bearer, body: link)
            guard let linkId = registered.json?["id"]?.stringValue else { throw SupportError("no link id in \(registered.body)") }
            try await run.expect(400, "POST", "/api/links", on: base, headers: account.bearer, body: #"{"url":"http://example.com"}"#)
            try await run.expect(401, "POST", "/api/links", on: base, body: link)
            try await run.expect(200, "GET", "/api/links", on: base, headers: account.bearer)
            try await run.expect(401, "GET", "/api/links", on: base)
            let heartbeat = "/api/links/{id}/heartbeat"
            try await run.expect(200, "POST", heartbeat, on: base, ["id": linkId], headers: account.bearer)
            try await run.expect(401, "POST", heartbeat, on: base, ["id": linkId])
            try await run.expect(404, "POST", heartbeat, on: base, ["id": "no-such-link"], headers: account.bearer)
            try await run.expect(401, "DELETE", "/api/links/{id}", on: base, ["id": linkId])
            try await run.expect(200, "DELETE", "/api/links/{id}", on: base, ["id": linkId], headers: account.bearer)
            try await run.expect(404, "DELETE", "/api/links/{id}", on: base, ["id": linkId], headers: account.bearer)

            try await controlOnSeed(up, account: account, &control)
        }

        /// The answers every thread route shares: 400 for an id that cannot be a thread id, 401
        /// without credentials, 403 for another org's key, 404 for an unknown thread. Seed's
        /// chat routes check the id before the caller (`checksIdFirst`), so the 400 comes
        /// without credentials there. `unknownThread: false` leaves out the 404, for the one route
        /// whose documented 404 is another (an empty body).
        static func expectThreadErrors(
            _ run: inout ConformanceRun, _ method: String, _ template: String, on base: String, account: Account, stranger: Account,
            existing: String, body: String? = nil, checksIdFirst: Bool = false, extra: [String: String] = [:],
            unknownThread: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let thread = { (id: String) in extra.merging(["org": account.slug, "id": id]) { $1 } }
            try await run.expect(400, method, template, on: base, thread("a.b"), headers: checksIdFirst ? [:] : account.bearer,
                body: body, sourceLocation: sourceLocation)
            try await run.expect(401, method, template, on: base, thread(existing), body: body, sourceLocation: sourceLocation)
            try await run.expect(403, method, template, on: base, thread(existing), headers: stranger.bearer, body: body,
                sourceLocation: sourceLocation)
            if unknownThread {
                try await run.expect(404, method, template, on: base, thread("no-such-thread"), headers: account.bearer, body: body,
                    sourceLocation: sourceLocation)
            }
        }

        static func controlOnSeed(_ up: ControlAPIHardeningTests.Up, account: Account, _ run: inout ConformanceRun) async throws {
            let base = up.control
            try await run.expect(200, "GET", "/processes", on: base)
            try await run.expect(200, "GET", "/cluster", on: base)
            let act = "/processes/{name}/{action}"
            try await run.expect(200, "POST", act, on: base, ["name": "pod-3", "action": "pause"])
            try await run.expect(409, "POST", act, on: base, ["name": "pod-3", "action": "pause"])
            try await run.expect(200, "POST", act, on: base, ["name": "pod-3", "action": "resume"])
            try await run.expect(404, "POST", act, on: base, ["name": "no-such-process", "action": "kill"])
            try await run.expect(400, "POST", act, on: base, ["name": "pod-1", "action": "explode"])

            let daemon = #"{"name":"oa-link","apiKey":"\#(account.key)","ttlMs":60000}"#
            try await run.expect(201, "POST", "/link-daemons", on: base, body: daemon)
            try await run.expect(409, "POST", "/link-daemons", on: base, body: daemon)
            try await run.expect(400, "POST", "/link-daemons", on: base, body: #"{"ttlMs":0}"#)

            try await run.expect(409, "POST", "/bus/faults", on: base, body: #"{"kind":"degrade"}"#)
            try await run.expect(409, "POST", "/bus/heal", on: base)
            try await run.expect(409, "POST", "/bus/restart", on: base)

            // With every pod stopped, no pod can create the daemon's account.
            for name in ["pod-1", "pod-2", "pod-3"] { try await run.expect(200, "POST", act, on: base, ["name": name, "action": "stop"]) }
            try await run.expect(503, "POST", "/link-daemons", on: base, body: "{}")
        }

        // MARK: Hosted

        static func hosted(
            _ up: ControlAPIHardeningTests.Up, _ cluster: ClusterDescription, _ run: inout ConformanceRun, _ control: inout ConformanceRun
        ) async throws {
            let base = cluster.pods[0].url
            let account = try await createAccount(&run, on: base)
            let stranger = try await createAccount(&run, on: base)
            let agent = try await create("id", &run, "/api/{org}/agents", on: base, org: account.slug, as: account, body: #"{"title":"helper"}"#)
            func thread() async throws -> String {
                try await create("id", &run, "/api/{org}/threads", on: base, org: account.slug, as: account, body: #"{"agentId":"\#(agent)"}"#)
            }
            let store = try await Store.open(at: cluster.store, clock: wallClockMillis)
            let ids = { (thread: String) in ["org": account.slug, "id": thread] }

            // A degraded pod answers a stream with 204; the other control calls of the bus.
            let stream = "/api/{org}/decopilot/threads/{id}/stream"
            let fresh = try await thread()
            let faults = "/bus/faults"
            try await control.expect(201, "POST", faults, on: up.control, body: #"{"kind":"degrade","pod":"pod-3"}"#)
            try await run.expect(204, "GET", stream, on: cluster.pods[2].url, ids(fresh), headers: account.bearer)
            try await control.expect(200, "POST", "/bus/heal", on: up.control)
            try await control.expect(200, "POST", "/bus/restart", on: up.control)
            try await control.expect(400, "POST", faults, on: up.control, body: #"{"kind":"flood"}"#)
            try await control.expect(404, "POST", faults, on: up.control, body: #"{"kind":"degrade","pod":"no-such-pod"}"#)

            // A thread pinned to another runtime (a state only the store can make).
            let pinned = try await thread()
            _ = try await store.database.write("UPDATE thread SET harnessId = 'claude-code' WHERE publicId = '\(pinned)'")
            try await run.expect(409, "GET", stream, on: base, ids(pinned), headers: account.bearer)

            // A thread with no hosted run yet: cancel and the queue refuse it.
            let cancel = "/api/{org}/decopilot/cancel/{id}"
            let queue = "/api/{org}/decopilot/queue/{id}"
            let cancelQueued = "/api/{org}/decopilot/queue/{id}/cancel/{workflowId}"
            try await run.expect(409, "POST", cancel, on: base, ids(fresh), headers: account.bearer)
            try await run.expect(409, "GET", queue, on: base, ids(fresh), headers: account.bearer)
            try await run.expect(409, "POST", cancelQueued, on: base, ids(fresh).merging(["workflowId": "none"]) { $1 }, headers: account.bearer)

            // POST: a held first turn, a second one queued behind it, and the refusals.
            let messages = "/api/{org}/decopilot/threads/{id}/messages"
            let busy = try await thread()
            try await run.expect(202, "POST", messages, on: base, ids(busy), headers: account.bearer, body: userMessage("hold:oa-hosted"))
            let queuedId = UUID().uuidString.lowercased()
            try await run.expect(202, "POST", messages, on: base, ids(busy), headers: account.bearer, body: userMessage("later", id: queuedId))
            try await run.expect(500, "POST", messages, on: base, ids(busy), headers: account.bearer, body: "not json")
            try await run.expect(400, "POST", messages, on: base, ids(busy), headers: account.bearer, body: "{}")
            try await run.expect(409, "POST", messages, on: base, ids(pinned), headers: account.bearer, body: userMessage("hi"))

            try await run.expect(200, "GET", stream, on: base, ids(busy), headers: account.bearer)
            let listed = try await run.expect(200, "GET", queue, on: base, ids(busy), headers: account.bearer)
            guard case .array(let items)? = listed.json?["items"] else { throw SupportError("no items in \(listed.body)") }
            #expect(items.map { $0["messageId"]?.stringValue } == [queuedId], "\(listed.body)")
            try await expectThreadErrors(&run, "GET", queue, on: base, account: account, stranger: stranger, existing: busy)
            let turn = "thread-run:\(busy):\(queuedId)"
            let queuedTurn = ids(busy).merging(["workflowId": turn]) { $1 }
            try await expectThreadErrors(
                &run, "POST", cancelQueued, on: base, account: account, stranger: stranger, existing: busy, extra: ["workflowId": turn],
                unknownThread: false)
            try await run.expect(202, "POST", cancelQueued, on: base, queuedTurn, headers: account.bearer)
            let gone = try await run.expect(404, "POST", cancelQueued, on: base, queuedTurn, headers: account.bearer)
            #expect(gone.body.isEmpty, "\(gone.body)")

            // SIGTERM to the pod running the held turn: readiness answers 503 while it drains.
            let state = try await waitForThread(busy, on: base, as: account) { $0["gatePod"]?.stringValue != nil }
            guard let gatePod = state["gatePod"]?.stringValue, let draining = cluster.pods.first(where: { $0.name == gatePod }) else {
                throw SupportError("no gate pod in \(state)")
            }
            let stopping = Task { [control = up.control] in try await ControlClient(url: control).stop(draining.name) }
            var drainingAnswer: ConformanceAnswer?
            _ = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                drainingAnswer = try? await ConformanceRun.send("GET", draining.url + "/health/ready")
                return drainingAnswer?.status == 503
            }
            _ = try await stopping.value
            guard let drainingAnswer else { throw SupportError("\(draining.name) never answered while draining") }
            run.check(drainingAnswer, DocumentedResponse(method: "GET", path: "/health/ready", status: 503))

            let live = cluster.pods.first { $0.name != gatePod }!.url
            try await run.expect(202, "POST", cancel, on: live, ids(busy), headers: account.bearer)
            try await MockAIControlClient(url: cluster.mockAI.url).release(gate: "oa-hosted")
        }
    }
}
