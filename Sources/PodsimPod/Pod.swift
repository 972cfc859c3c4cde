import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PodsimModel
import PodsimServer
import PodsimStore
import ServiceLifecycle

/// One simulated studio pod process: the HTTP API, the run worker, the stream feeds and the
/// change-signal listener, run until SIGTERM (graceful drain) or until the coordinator dies.
public enum Pod {
    public static func run(_ configuration: PodConfiguration) async throws {
        PauseOnRequest.ignoreUntilListening()
        let store = try await Store.open(
            at: configuration.storePath, clock: wallClockMillis, journal: configuration.history ? configuration.name : nil)
        let socket = try ChangeSignalSocket()
        try await store.registerPodEndpoint(
            PodEndpoint(name: configuration.name, signalPort: socket.port, pid: getpid(), startedAt: wallClockMillis()))
        let bus = SignalBus(store: store, socket: socket)
        await bus.refreshPeers()
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let context = PodContext(
            configuration: configuration, store: store, bus: bus,
            provider: ProviderClient(baseURL: configuration.providerURL, http: http, podName: configuration.name),
            sandboxes: Sandboxes(store: store, http: http, podName: configuration.name, dockerAvailable: configuration.dockerAvailable))
        let engine = context.makeEngine()
        let router = PodRouter.build(pod: context, engine: engine)

        var logger = Logger(label: configuration.name)
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .podsim(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.name),
            onServerRunning: { channel in
                let bugs = configuration.bugs.sorted().map(\.rawValue)
                let fixes = configuration.fixes.sorted().map(\.rawValue)
                logLine("\(configuration.name) (\(configuration.profile.rawValue) profile) listening on http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"
                    + (bugs.isEmpty ? "" : " BUG SWITCHES ON: \(bugs.joined(separator: ", "))")
                    + (fixes.isEmpty ? "" : " CANDIDATE FIXES ON: \(fixes.joined(separator: ", "))"))
                ReadinessNotice.send(toPort: configuration.readinessPort)
            },
            logger: logger)
        let timings = configuration.timings
        // Services start in this order and shut down in reverse: the parent watch first, then the
        // engine's services (in seed: the worker drains while leases are still renewed, and the
        // keepalive ticker ends every stream), the HTTP server stops, and the signal listener
        // closes the socket last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] =
            [.named(SignalListener(bus: bus, engine: engine)), .named(app)] + engine.services().map { .named($0) }
        services.append(.named(PauseOnRequest(name: configuration.name) { limit in
            let hold = await store.holdConnections(upTo: limit)
            if !hold.complete { logLine("\(configuration.name): the store was still busy after \(limit); pausing anyway") }
            return { hold.release() }
        }))
        if let parent = configuration.parentPID {
            services.append(ParentWatch(parent: parent, name: configuration.name).configuration)
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(timings.drainMillis) + .seconds(1)
        try await ServiceGroup(configuration: groupConfiguration).run()
        socket.close()
        try await http.shutdown()
        logLine("\(configuration.name) stopped")
    }
}
