import Hummingbird
import HummingbirdTesting
import PodsimModel
@testable import PodsimPod
import Testing

/// What the pod answers, byte for byte where clients depend on it: every error is
/// `{"error": …}` JSON, and success bodies keep their field names and omit absent fields.
@Suite struct ResponseShapeTests {
    @Test func aMessageWithoutALiveLinkIs409LinkOffline() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.post, account.messages, headers: account.auth, json: account.messageBody)
            #expect(answer.status == .conflict)
            #expect(answer.text == #"{"code":"link_offline","error":"link_unavailable"}"#)
            #expect(try answer.errorBody() == ErrorBody(error: "link_unavailable", code: "link_offline"))
        }
    }

    @Test func aMessageIsAcceptedWithItsThreadAsTaskId() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let link = try await pod.send(.post, PodPath.links, headers: account.auth, json: PodAPI.RegisterLink(url: "http://127.0.0.1:9"))
            #expect(link.status == .created, "\(link.text)")
            #expect(try link.decode(PodAPI.LinkView.self).live)

            let answer = try await pod.send(.post, account.messages, headers: account.auth, json: account.messageBody)
            #expect(answer.status == .accepted, "\(answer.text)")
            #expect(answer.text == #"{"taskId":"\#(account.threadId)"}"#)

            let thread = try await pod.send(.get, PodPath.thread(org: account.slug, id: account.threadId), headers: account.auth)
            let view = try thread.decode(PodAPI.ThreadView.self)
            #expect(view.runCount == 1)
            #expect(view.currentRun?.state == "queued")
            #expect(view.currentRun?.providerKind == "remote-user")
        }
    }

    @Test func aNewThreadOmitsWhatItDoesNotHaveYet() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let thread = try await pod.send(.get, PodPath.thread(org: account.slug, id: account.threadId), headers: account.auth)
            #expect(thread.status == .ok)
            #expect(thread.text == #"{"agentId":"\#(account.agentId)","id":"\#(account.threadId)","partCount":0,"runCount":0,"sandboxCount":0,"status":"completed"}"#)
        }
    }

    @Test func healthAnswers() async throws {
        try await PodRouterFixture.test { pod in
            let live = try await pod.send(.get, PodPath.live)
            #expect(live.status == .ok)
            #expect(live.text == #"{"status":"ok"}"#)
            let ready = try await pod.send(.get, PodPath.ready)
            #expect(ready.status == .ok)
            #expect(ready.text == #"{"services":{"store":{"status":"up"}},"status":"ready"}"#)
        }
    }

    @Test func cancellingAnIdleThreadCancelsNothing() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.post, PodPath.cancel(org: account.slug, thread: account.threadId), headers: account.auth)
            #expect(answer.status == .ok)
            #expect(answer.text == #"{"cancelled":false}"#)
        }
    }

    @Test func storeAndDomainErrorsKeepTheirStatuses() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount(slug: "taken")
            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (.post, PodPath.orgs, #"{"name": "x", "slug": "taken"}"#, .conflict, #"Organization slug "taken" is taken"#),
                (.post, PodPath.threads(org: account.slug), #"{"id": "\#(account.threadId)", "agentId": "\#(account.agentId)"}"#, .conflict,
                 "Thread \(account.threadId) already exists"),
                (.post, PodPath.threads(org: account.slug), #"{"agentId": "nope"}"#, .notFound, "Agent not found"),
                (.get, PodPath.thread(org: account.slug, id: "no-such-thread"), nil, .notFound, "Thread not found"),
                (.get, PodPath.stream(org: account.slug, thread: "no-such-thread"), nil, .notFound, "Thread not found"),
                (.post, PodPath.messages(org: account.slug, thread: "no-such-thread"), account.messageBody.json, .notFound, "Thread not found"),
                (.post, PodPath.heartbeat(link: "nope"), nil, .notFound, "Link not found"),
                (.delete, PodPath.link(id: "nope"), nil, .notFound, "Link not found"),
            ]
            for (method, path, body, status, message) in cases {
                let answer = try await pod.send(method, path, headers: account.auth, body: body)
                #expect(answer.status == status, "\(method) \(path): \(answer.text)")
                #expect(try answer.errorBody().error == message)
            }
        }
    }

    @Test func unknownRoutesAreJSON404s() async throws {
        try await PodRouterFixture.test { pod in
            for (method, path) in [(HTTPRequest.Method.get, "/nope"), (.get, "/api/orgs"), (.put, PodPath.live), (.get, "/api/acme/decopilot/nope")] {
                let answer = try await pod.send(method, path)
                #expect(answer.status == .notFound, "\(method) \(path)")
                #expect(try answer.errorBody().error == "Not Found: no route for \(method) \(path)")
            }
        }
    }

    /// The error middleware on its own: framework errors keep their status, anything else is a
    /// 500 that says what happened, and both have a JSON body.
    @Test func unexpectedErrorsAreJSON500s() async throws {
        struct Unexpected: Error, CustomStringConvertible { var description: String { "the disk is on fire" } }
        let router = Router(context: PodRequestContext.self)
        router.add(middleware: PodErrorMiddleware())
        router.get("unexpected") { _, _ -> String in throw Unexpected() }
        router.get("framework") { _, _ -> String in throw HTTPError(.tooManyRequests, message: "pay up") }
        router.get("bare") { _, _ -> String in throw HTTPError(.gone) }
        try await Application(router: router).test(.router) { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("/unexpected", .internalServerError, "Internal error: the disk is on fire"),
                ("/framework", .tooManyRequests, "pay up"),
                ("/bare", .gone, "Gone"),
            ]
            for (path, status, message) in cases {
                let answer = try await client.execute(uri: path, method: .get)
                #expect(answer.status == status)
                #expect(try answer.errorBody() == ErrorBody(error: message))
            }
        }
    }
}
