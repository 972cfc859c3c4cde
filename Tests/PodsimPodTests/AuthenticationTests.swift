import Hummingbird
import HummingbirdTesting
import PodsimModel
import PodsimStore
import Testing

/// Who may call what: API keys, session cookies, org membership.
@Suite struct AuthenticationTests {
    @Test func aRequestWithoutCredentialsIs401() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.post, account.messages, json: account.messageBody)
            #expect(answer.status == .unauthorized)
            #expect(try answer.errorBody().error == "Missing bearer API key")
        }
    }

    @Test func anUnknownOrMalformedKeyIs401() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let unknown = try await pod.send(.post, account.messages, headers: [.authorization: "Bearer psk_nope"], json: account.messageBody)
            #expect(unknown.status == .unauthorized)
            #expect(try unknown.errorBody().error == "Invalid API key")
            let basic = try await pod.send(.get, PodPath.thread(org: account.slug, id: account.threadId), headers: [.authorization: "Basic eDp5"])
            #expect(basic.status == .unauthorized)
            #expect(try basic.errorBody().error == "Missing bearer API key")
        }
    }

    @Test func anotherOrgsKeyIs403() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let other = try await pod.createAccount()
            let answer = try await pod.send(.post, account.messages, headers: other.auth, json: account.messageBody)
            #expect(answer.status == .forbidden)
            #expect(try answer.errorBody().error == "API key does not belong to this organization")
        }
    }

    @Test func anUnknownOrgIs404() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.post, PodPath.messages(org: "no-such-org", thread: account.threadId), headers: account.auth, json: account.messageBody)
            #expect(answer.status == .notFound)
            #expect(try answer.errorBody().error == "Organization not found")
        }
    }

    @Test func anOrgIsNamedBySlugOrById() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount(slug: "acme")
            for org in ["acme", account.created.orgId] {
                let answer = try await pod.send(.get, PodPath.thread(org: org, id: account.threadId), headers: account.auth)
                #expect(answer.status == .ok, "\(org): \(answer.text)")
                #expect(try answer.decode(PodAPI.ThreadView.self).id == account.threadId)
            }
        }
    }

    @Test func aSessionCookieAuthenticatesUntilSignOut() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let cookie = try await pod.signIn(account)
            let session = try await pod.send(.get, PodPath.getSession, headers: cookie)
            #expect(session.status == .ok)
            #expect(try session.decode(PodAPI.SessionView.self) == PodAPI.SessionView(
                user: .init(id: account.created.userId), session: .init(orgId: account.created.orgId, pod: pod.podName)))
            let thread = try await pod.send(.get, PodPath.thread(org: account.slug, id: account.threadId), headers: cookie)
            #expect(thread.status == .ok, "\(thread.text)")

            let signOut = try await pod.send(.post, PodPath.signOut, headers: cookie)
            #expect(signOut.status == .ok)
            #expect(signOut.text == #"{"ok":true}"#)
            #expect(signOut.headers[.setCookie]?.hasPrefix("podsim_session=;") == true)
            let afterwards = try await pod.send(.get, PodPath.getSession, headers: cookie)
            #expect(afterwards.status == .unauthorized)
            #expect(try afterwards.errorBody().error == "No valid session")
            let threadAfterwards = try await pod.send(.get, PodPath.thread(org: account.slug, id: account.threadId), headers: cookie)
            #expect(threadAfterwards.status == .unauthorized)
        }
    }

    @Test func signOutNeedsACookie() async throws {
        try await PodRouterFixture.test { pod in
            let answer = try await pod.send(.post, PodPath.signOut)
            #expect(answer.status == .unauthorized)
            #expect(try answer.errorBody().error == "No session cookie")
        }
    }

    @Test func signInAndLinksTakeOnlyAnAPIKey() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let cookie = try await pod.signIn(account)
            for (method, path) in [(HTTPRequest.Method.post, PodPath.signIn), (.get, PodPath.links)] {
                let answer = try await pod.send(method, path, headers: cookie)
                #expect(answer.status == .unauthorized, "\(path)")
                #expect(try answer.errorBody().error == "Missing bearer API key")
            }
            #expect(try await pod.send(.get, PodPath.links, headers: account.auth).status == .ok)
        }
    }

    @Test func getSessionIgnoresAnAPIKey() async throws {
        try await PodRouterFixture.test { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.get, PodPath.getSession, headers: account.auth)
            #expect(answer.status == .unauthorized)
            #expect(try answer.errorBody().error == "No valid session")
        }
    }

    /// A sign-out elsewhere deletes the session row; only a pod with `pod-local-sessions`
    /// keeps trusting its own memory of it.
    @Test(arguments: [false, true]) func aSessionDeletedElsewhere(podLocalSessions: Bool) async throws {
        try await PodRouterFixture.test(bugs: podLocalSessions ? [.podLocalSessions] : []) { pod in
            let account = try await pod.createAccount()
            let cookie = try await pod.signIn(account)
            let token = try #require(cookie[.cookie]?.split(separator: "=").last.map(String.init))
            #expect(try await pod.store.deleteSession(token: token))
            let answer = try await pod.send(.get, PodPath.getSession, headers: cookie)
            #expect(answer.status == (podLocalSessions ? .ok : .unauthorized), "\(answer.text)")
        }
    }
}
