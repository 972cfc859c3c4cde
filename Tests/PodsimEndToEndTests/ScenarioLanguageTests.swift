import Foundation
import Testing

extension EndToEnd {
    /// The scenario forms of issue 13 item 8 against a real cluster: header captures reused on
    /// another pod, a refused attach, a thread id with a slash, loops, pod selectors and time
    /// bounds. One passing scenario holds most of them, to boot one cluster.
    @Suite struct ScenarioLanguage {
        static let passing = """
            name: language-additions
            cluster:
              pods: 3
              env: {STUDIO_SANDBOX_RUNNER: docker}
            timeout: 60s
            steps:
              - bootstrap: s
                on: any
              - bootstrap: other
                on: {notIn: pod-1}
              - agent: a
                as: s
              - thread: t
                as: s
                agent: a
                id: "a/b-${uuid}"
              # Three turns posted to the one pod not excluded (pod-3), each waited for by its index.
              - within: 30s
                steps:
                  - repeat: 3
                    index: i
                    steps:
                      - send: "many:2 n${i}"
                        thread: t
                        as: s
                        on: {notIn: [pod-1, pod-2]}
                      - eventually:
                          thread: t
                          as: s
                          runCount: "${i}"
                          runState: completed
                        timeout: 10s
              - check:
                  providerCalls: t
                  equals: 3
              - check:
                  request: GET /api/auth/get-session
                  as: s
                  auth: cookie
                  on: {notIn: [pod-1, pod-2]}
                  expect:
                    paths: {session.pod: pod-3}
              - send: "slow:4x200"
                thread: t
                as: s
              - attach: w
                thread: t
                as: s
                on: {notIn: [pod-1]}
              - await: w
                contains: "chunk-1 "
                timeout: 5s
              # The id a/b travels percent-encoded in a request path too.
              - request: GET /api/${s.orgSlug}/threads/${t.id}
                as: s
                on: pod-3
                expect:
                  status: 200
                  json: {id: "${t.id}"}
              # Another org's caller is refused the stream; the step asserts it and returns.
              - within: 5s
                steps:
                  - attach: refused
                    thread: t
                    as: other
                    on: pod-2
                    expect: {status: 404}
              # Signed in on pod-1, the cookie works on pod-2.
              - request: POST /api/auth/sign-in
                as: s
                on: pod-1
                expect: {status: 200}
                capture: {session: header.Set-Cookie}
              - check:
                  request: GET /api/auth/get-session
                  on: pod-2
                  headers: {cookie: "${session}"}
                  expect:
                    status: 200
                    paths: {user.id: "${s.userId}", session.pod: pod-2}
              # With pod-1 killed, any is pod-2.
              - kill: any
              - check:
                  request: GET /api/auth/get-session
                  as: s
                  auth: cookie
                  on: any
                  expect:
                    paths: {session.pod: pod-2}
            """

        @Test func theNewFormsWorkAgainstARealCluster() async throws {
            let file = temporaryPath("language.yaml")
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Self.passing.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await podsim(["run", file])
            #expect(result.status == 0, "\(result.output)\n\(result.errors)")
            #expect(result.output.contains("1 passed, 0 failed"), "\(result.output)")
        }

        /// A capture of a missing header fails naming the header; a block that outlasts its bound
        /// fails at its own line, naming the step it cut short; a loop's failure names its
        /// iteration (counted from 1).
        /// Runs `text` as the scenario file `file`, then removes the state the failed run kept.
        static func failedRun(_ text: String, in file: String) async throws -> CommandResult {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await podsim(["run", file])
            for state in keptStateDirectories(result.output) { try? FileManager.default.removeItem(atPath: state) }
            return result
        }

        @Test func missingHeadersOverrunsAndLoopsFailWhereTheyWereWritten() async throws {
            let file = temporaryPath("within.yaml")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let scenario = """
                cluster:
                  pods: 1
                steps:
                  - bootstrap: s
                  - request: GET /health/live
                    expect: {status: 200}
                    capture: {tag: header.etag}
                """
            let missing = try await Self.failedRun(scenario, in: file)
            #expect(missing.status == 1)
            #expect(missing.output.contains("at:       \(file):5:5"), "\(missing.output)")
            #expect(missing.output.contains("expected: header etag to capture into tag"), "\(missing.output)")

            let overrun = """
                cluster:
                  pods: 1
                steps:
                  - bootstrap: s
                  - within: 400ms
                    steps:
                      - request: GET /health/live
                      - eventually:
                          request: GET /health/live
                          expect: {status: 503}
                        timeout: 20s
                  - wait: 1ms
                """
            let result = try await Self.failedRun(overrun, in: file)
            #expect(result.status == 1)
            #expect(result.output.contains("at:       \(file):5:5"), "\(result.output)")
            #expect(result.output.contains("expected: the block's steps to end within 400ms"), "\(result.output)")
            #expect(result.output.contains("still running 'eventually request GET /health/live (within 20s)' (\(file):8:9)"), "\(result.output)")

            let loop = """
                cluster:
                  pods: 1
                steps:
                  - repeat: 3
                    index: i
                    steps:
                      - check:
                          store: SELECT ${i} < 2
                          equals: 1
                  - wait: 1ms
                """
            let iteration = try await Self.failedRun(loop, in: file)
            #expect(iteration.status == 1)
            #expect(iteration.output.contains("at:       \(file):9:19"), "\(iteration.output)")
            #expect(iteration.output.contains("actual:   the query result = 0 (in iteration 2 of 3)"), "\(iteration.output)")
        }
    }
}
