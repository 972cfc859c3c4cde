import Foundation
import PodsimModel
import PodsimStore
import Synchronization

/// The pod's end of the change-signal bus: publishes a signal to every registered pod (itself
/// included) and hands what arrives to whoever listens.
final class SignalBus: Sendable {
    let socket: ChangeSignalSocket
    private let store: Store
    private let peerPorts = Mutex<[Int]>([])

    init(store: Store, socket: ChangeSignalSocket) {
        self.store = store
        self.socket = socket
    }

    func publish(_ signal: ChangeSignal) {
        socket.send(signal, to: peerPorts.withLock { $0 })
    }

    /// Re-reads the registered pods (a restarted pod gets a new port).
    func refreshPeers() {
        guard let endpoints = try? store.podEndpoints() else { return }
        let ports = endpoints.map(\.signalPort)
        peerPorts.withLock { $0 = ports }
    }

    /// Keeps the peer list fresh until cancelled.
    func refreshPeersForever(every interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            refreshPeers()
            try? await Task.sleep(for: interval)
        }
    }
}
