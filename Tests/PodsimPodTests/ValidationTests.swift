import Hummingbird
import HummingbirdTesting
import PodsimModel
import Testing

/// Bodies and path parameters the pod refuses, each with a 400 that names the problem.
@Suite struct ValidationTests {
    @Test func malformedJSONIsA400NamingTheProblem() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let cases: [(body: String?, message: String)] = [
                (#"{"messages": [ "#, "Invalid JSON body: not valid JSON"),
                (nil, "Request body is empty; expected JSON"),
                (#"{"messages": []}"#, "Invalid JSON body: missing field agent"),
                (#"{"messages": [{"id": "m", "role": "user"}], "agent": {"id": "a"}}"#, "Invalid JSON body: missing field messages[0].parts"),
                (#"{"messages": [], "agent": {"id": null}}"#, "Invalid JSON body: agent.id should be String, found null"),
            ]
            for (body, message) in cases {
                let answer = try await pod.send(.post, account.messages, headers: account.auth, body: body)
                #expect(answer.status == .badRequest, "\(body ?? "nil")")
                #expect(try answer.errorBody().error == message)
            }
            let wrongType = try await pod.send(.post, account.messages, headers: account.auth, body: #"{"messages": 3, "agent": {"id": 1}}"#)
            #expect(wrongType.status == .badRequest)
            #expect(try wrongType.errorBody().error.hasPrefix("Invalid JSON body: messages should be "))
        }
    }

    @Test func missingFieldsOfEverySetupBody() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let cases: [(path: String, body: String, message: String)] = [
                (PodPath.orgs, #"{"slug": "x"}"#, "Invalid JSON body: missing field name"),
                (PodPath.orgs, #"{"name": "  "}"#, "name must not be empty"),
                (PodPath.orgs, #"{"name": "a", "slug": "a b"}"#, "slug may contain only letters, digits and '-' (at most 64)"),
                (PodPath.agents(org: account.slug), "{}", "Invalid JSON body: missing field title"),
                (PodPath.agents(org: account.slug), #"{"title": " "}"#, "title must not be empty"),
                (PodPath.threads(org: account.slug), "{}", "Invalid JSON body: missing field agentId"),
                (PodPath.threads(org: account.slug), #"{"id": "a.b", "agentId": "x"}"#, "Invalid thread ID"),
                (PodPath.links, #"{"url": "http://10.0.0.1:80"}"#, "url must be http://HOST[:PORT] on a loopback host (127.0.0.0/8, ::1 or localhost), with no user info or path"),
                (PodPath.links, #"{"url": "http://127.0.0.1:9", "ttlMs": 0}"#, "ttlMs must be between 1 and 86400000"),
            ]
            for (path, body, message) in cases {
                let answer = try await pod.send(.post, path, headers: account.auth, body: body)
                #expect(answer.status == .badRequest, "\(path) \(body)")
                #expect(try answer.errorBody().error == message, "\(path) \(body)")
            }
        }
    }

    /// Thread ids are checked before the caller is, on every chat route.
    @Test(arguments: ["a.b", "a%3E", "a%20b", "a*b"]) func invalidThreadIDs(id: String) async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let base = "/api/\(account.slug)"
            let requests: [(HTTPRequest.Method, String, HTTPFields)] = [
                (.post, base + "/decopilot/threads/\(id)/messages", [:]),
                (.post, base + "/decopilot/threads/\(id)/messages", account.auth),
                (.get, base + "/decopilot/threads/\(id)/stream", [:]),
                (.post, base + "/decopilot/cancel/\(id)", account.auth),
                (.get, base + "/threads/\(id)", account.auth),
            ]
            for (method, path, headers) in requests {
                let answer = try await pod.send(method, path, headers: headers, json: account.messageBody)
                #expect(answer.status == .badRequest, "\(method) \(path)")
                #expect(try answer.errorBody().error == "Invalid thread ID")
            }
        }
    }

    @Test func aThreadIdInTheBodyMustMatchTheURL() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            var body = account.messageBody
            body.threadId = "other"
            let answer = try await pod.send(.post, account.messages, headers: account.auth, json: body)
            #expect(answer.status == .badRequest)
            #expect(try answer.errorBody().error == "thread_id in the body (other) does not match the URL (\(account.threadId))")
        }
    }

    @Test func aMessageNeedsAUserMessageWithAnId() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let assistantOnly = MessagesRequest(
                messages: [.init(id: "a", role: "assistant", parts: [])], agent: .init(id: account.agentId))
            let noUser = try await pod.send(.post, account.messages, headers: account.auth, json: assistantOnly)
            #expect(noUser.status == .badRequest)
            #expect(try noUser.errorBody().error == "messages must contain a user message")

            let noID = try await pod.send(.post, account.messages, headers: account.auth, json: MessagesRequest(text: "hi", agentId: account.agentId, messageId: ""))
            #expect(noID.status == .badRequest)
            #expect(try noID.errorBody().error == "message id must not be empty")
        }
    }

    @Test func anUnknownSandboxKindIsNamed() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let body = MessagesRequest(text: "hi", agentId: account.agentId, sandboxProviderKind: "vm")
            let answer = try await pod.send(.post, account.messages, headers: account.auth, json: body)
            #expect(answer.status == .badRequest)
            #expect(try answer.errorBody().error.hasPrefix(#"Unknown sandboxProviderKind "vm"; expected one of "#))
        }
    }

    @Test func aBodyOverOneMiBIsRefused() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let text = String(repeating: "x", count: 1 << 20)
            let answer = try await pod.send(.post, account.messages, headers: account.auth, json: MessagesRequest(text: text, agentId: account.agentId))
            #expect(answer.status == .badRequest)
            #expect(try answer.errorBody().error == "Request body too large (limit 1 MiB)")
            let justUnder = MessagesRequest(text: String(repeating: "x", count: (1 << 20) - 1024), agentId: "no-such-agent")
            let accepted = try await pod.send(.post, account.messages, headers: account.auth, json: justUnder)
            #expect(accepted.status == .notFound, "a body under the limit is read: \(accepted.text.prefix(200))")
        }
    }
}
