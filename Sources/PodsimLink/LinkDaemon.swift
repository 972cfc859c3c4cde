import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PodsimClient
import PodsimModel
import PodsimServer
import ServiceLifecycle

/// The stand-in for a user's `deco link`: registers a live link for its user and serves the
/// simulated sandbox operations of `remote-user` runs.
public enum LinkDaemon {
    public static func run(_ configuration: LinkDaemonConfiguration) async throws {
        let sandboxes = LinkSandboxes()
        let router = Router()
        router.add(middleware: UnknownRouteMiddleware())
        router.get("/health") { _, _ in "ok" }
        router.post("/sandbox/provision") { request, context in
            let body = try await request.decode(as: ProvisionRequest.self, context: context)
            let sandboxId = await sandboxes.provision(threadId: body.threadId)
            logLine("\(configuration.name): provisioned \(sandboxId) for thread \(body.threadId)")
            return ProvisionResponse(sandboxId: sandboxId)
        }
        router.post("/sandbox/exec") { request, context in
            let body = try await request.decode(as: ExecRequest.self, context: context)
            guard await sandboxes.execute(sandboxId: body.sandboxId) else {
                throw HTTPError(.notFound, message: "unknown sandbox \(body.sandboxId)")
            }
            return ExecResponse(output: [
                "sandbox": .string(body.sandboxId), "tool": .string(body.tool), "stdout": "hello from the link\n", "exitCode": 0,
            ])
        }
        router.get("/stats") { _, _ in await sandboxes.stats() }

        var logger = Logger(label: configuration.name)
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .podsim(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.name),
            onServerRunning: { _ in
                logLine("\(configuration.name) listening on \(configuration.url)")
                ReadinessNotice.send(toPort: configuration.readinessPort)
            },
            logger: logger)
        let registration = LinkRegistration(configuration: configuration)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.named(app), .named(registration)]
        if let parent = configuration.parentPID {
            services.append(ParentWatch(parent: parent, name: configuration.name).configuration)
        }
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

private struct ProvisionRequest: Decodable { var threadId: String }
private struct ProvisionResponse: ResponseEncodable { var sandboxId: String }
private struct ExecRequest: Decodable {
    var sandboxId: String
    var tool: String
    var input: JSONValue?
}

private struct ExecResponse: ResponseEncodable { var output: JSONValue }

/// How many sandboxes this daemon provisioned and how many tool calls it served.
struct LinkStats: ResponseEncodable, Sendable {
    var provisions: Int
    var execs: Int
    var provisionsByThread: [String: Int]
}

/// The simulated sandboxes on the user's machine.
actor LinkSandboxes {
    private var threads: [String: String] = [:]
    private var provisionsByThread: [String: Int] = [:]
    private var execs = 0

    func provision(threadId: String) -> String {
        let id = "link-sandbox-\(UUID().uuidString.prefix(8).lowercased())"
        threads[id] = threadId
        provisionsByThread[threadId, default: 0] += 1
        return id
    }

    func execute(sandboxId: String) -> Bool {
        guard threads[sandboxId] != nil else { return false }
        execs += 1
        return true
    }

    func stats() -> LinkStats {
        LinkStats(provisions: provisionsByThread.values.reduce(0, +), execs: execs, provisionsByThread: provisionsByThread)
    }
}

/// Registers the link, heartbeats it, and deregisters it on a graceful stop.
struct LinkRegistration: Service {
    let configuration: LinkDaemonConfiguration

    func run() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var podIndex = 0
        var linkID: String?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pod = configuration.podURLs[podIndex % configuration.podURLs.count]
            let client = podClient(pod, http: http)
            do {
                if let id = linkID {
                    do {
                        _ = try await client.heartbeat(link: id)
                    } catch let error as PodAPIError where error.status == 404 {
                        linkID = nil
                    } catch is PodAPIError {
                        // Another refusal leaves the link as it is; the next heartbeat tries again.
                    }
                } else {
                    let body = PodAPI.RegisterLink(url: configuration.url, capabilities: ["decopilot-sandbox"], ttlMs: configuration.ttlMillis)
                    let id = try await client.registerLink(body).id
                    linkID = id
                    logLine("\(configuration.name): registered link \(id) via \(pod) (ttl \(configuration.ttlMillis) ms)")
                }
            } catch {
                logLine("\(configuration.name): \(pod) did not answer (\(error)); trying the next pod")
                podIndex += 1
            }
            // A graceful shutdown ends the wait at once, however long the heartbeat interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(configuration.heartbeatMillis)) }
        }
        if let linkID { await deregister(linkID, http: http) }
        try await http.shutdown()
    }

    private func podClient(_ url: String, http: HTTPClient, timeout: Duration = .seconds(2)) -> PodClient {
        PodClient(url: url, credential: .apiKey(configuration.apiKey), timeout: timeout, http: http)
    }

    /// Deletes the link through the first pod that answers, within one second in all, so a
    /// daemon whose pods are already gone still stops at once.
    private func deregister(_ linkID: String, http: HTTPClient) async {
        let deadline = ContinuousClock.now + .seconds(1)
        for pod in configuration.podURLs where ContinuousClock.now < deadline {
            let left = max(deadline - ContinuousClock.now, .milliseconds(50))
            if (try? await podClient(pod, http: http, timeout: left).deleteLink(linkID)) != nil {
                logLine("\(configuration.name): deregistered link \(linkID)")
                return
            }
        }
        logLine("\(configuration.name): could not deregister link \(linkID); it expires after its TTL")
    }
}
