import Foundation
import PodsimModel
import PodsimStore
import ServiceLifecycle
import Synchronization

/// The pod's end of the change-signal bus: publishes a signal to every registered pod (itself
/// included) and hands what arrives to whoever listens.
final class SignalBus: Sendable {
    let socket: ChangeSignalSocket
    private let store: Store
    /// Every registered pod's signal port, by pod name.
    private let peerPorts = Mutex<[String: Int]>([:])
    private let nextPeer = Atomic<Int>(0)

    init(store: Store, socket: ChangeSignalSocket) {
        self.store = store
        self.socket = socket
    }

    func publish(_ signal: ChangeSignal) {
        socket.send(signal, to: Array(peerPorts.withLock { $0.values }))
    }

    /// Sends a signal to the named pods only (those not registered are skipped).
    func publish(_ signal: ChangeSignal, toPods pods: [String]) {
        guard !pods.isEmpty else { return }
        let ports = peerPorts.withLock { ports in pods.compactMap { ports[$0] } }
        socket.send(signal, to: ports)
    }

    /// Sends a signal to one other pod, taking them in turn (to this pod when it is alone).
    func publishToOnePeer(_ signal: ChangeSignal) {
        let ports = peerPorts.withLock { $0.values.sorted() }
        let others = ports.filter { $0 != socket.port }
        let candidates = others.isEmpty ? ports : others
        guard !candidates.isEmpty else { return }
        socket.send(signal, to: [candidates[nextPeer.wrappingAdd(1, ordering: .relaxed).oldValue % candidates.count]])
    }

    /// Re-reads the registered pods (a restarted pod gets a new port).
    func refreshPeers() async {
        guard let endpoints = try? await store.podEndpoints() else { return }
        let ports = Dictionary(endpoints.map { ($0.name, $0.signalPort) }, uniquingKeysWith: { _, last in last })
        peerPorts.withLock { $0 = ports }
    }
}

/// Hands arriving change signals to the pod's engine, and keeps the peer list fresh, until the
/// pod shuts down; then closes the socket. It starts first and stops last, so the engine's drain
/// can still announce released work.
struct SignalListener: Service {
    let bus: SignalBus
    let engine: any ChatEngine
    var peerRefreshInterval = Duration.milliseconds(250)

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await routeSignals() }
            group.addTask { await refreshPeersUntilShutdown() }
            await group.next()
            group.cancelAll()
        }
    }

    private func routeSignals() async {
        let signals = bus.socket.signals()
        await withGracefulShutdownHandler {
            for await signal in signals { await engine.received(signal) }
        } onGracefulShutdown: {
            bus.socket.close()
        }
    }

    private func refreshPeersUntilShutdown() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await bus.refreshPeers()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: peerRefreshInterval) }
        }
    }
}
