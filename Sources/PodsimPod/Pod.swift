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
        let store = try Store.open(at: configuration.storePath)
        let socket = try ChangeSignalSocket()
        try store.registerPodEndpoint(
            PodEndpoint(name: configuration.name, signalPort: socket.port, pid: getpid(), startedAt: wallClockMillis()))
        let bus = SignalBus(store: store, socket: socket)
        bus.refreshPeers()
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let context = PodContext(
            configuration: configuration, store: store, bus: bus,
            provider: ProviderClient(baseURL: configuration.providerURL, http: http, podName: configuration.name),
            sandboxes: Sandboxes(store: store, http: http, podName: configuration.name, dockerAvailable: configuration.dockerAvailable))
        let worker = RunWorker(context: context)
        let feeds = ChunkFeeds(store: store)
        let router = PodRouter.build(pod: context, worker: worker, feeds: feeds)

        var logger = Logger(label: configuration.name)
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .podsim(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.name),
            onServerRunning: { channel in
                let bugs = configuration.bugs.sorted().map(\.rawValue)
                logLine("\(configuration.name) listening on http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"
                    + (bugs.isEmpty ? "" : " BUG SWITCHES ON: \(bugs.joined(separator: ", "))"))
            },
            logger: logger)
        let runtime = PodRuntime(context: context, worker: worker, feeds: feeds)
        let group = ServiceGroup(
            configuration: .init(services: [app, runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        socket.close()
        try await http.shutdown()
        logLine("\(configuration.name) stopped")
    }
}

/// The pod's background work as one service: routing change signals, the claim loop, keepalive
/// ticks, watching the coordinator, and the graceful drain on shutdown.
struct PodRuntime: Service {
    let context: PodContext
    let worker: RunWorker
    let feeds: ChunkFeeds

    func run() async throws {
        let configuration = context.configuration
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await routeSignals() }
            group.addTask { await context.bus.refreshPeersForever() }
            group.addTask { await worker.run() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(configuration.timings.keepaliveMillis))
                    await feeds.tick()
                }
            }
            if let parent = configuration.parentPID {
                group.addTask { await exitWhenOrphaned(parent: parent, name: configuration.name) }
            }
            try? await gracefulShutdown()
            let drain = Duration.milliseconds(configuration.timings.drainMillis)
            logLine("\(configuration.name): draining (at most \(configuration.timings.drainMillis) ms)")
            Task.detached {
                try? await Task.sleep(for: drain + .seconds(1))
                logLine("\(configuration.name): drain timed out; exiting")
                exit(0)
            }
            await worker.drain(timeout: drain)
            await feeds.closeAll()
            group.cancelAll()
        }
    }

    private func routeSignals() async {
        for await signal in context.bus.socket.signals() {
            switch signal {
            case .chunks(let threadId): await feeds.signal(threadId: threadId)
            case .runsAvailable: await worker.doorbell.ring()
            case .cancel(let runId): await worker.cancelSignalled(runId: runId)
            }
        }
    }
}
