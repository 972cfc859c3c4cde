import AsyncHTTPClient
import PodsimModel
import PodsimStore

/// The pieces every part of a pod shares: its configuration, the store, the signal bus, and the
/// clients for the provider and for sandboxes.
struct PodContext: Sendable {
    let configuration: PodConfiguration
    let store: Store
    let bus: SignalBus
    let provider: ProviderClient
    let sandboxes: Sandboxes

    var name: String { configuration.name }
}

/// The `pod-local-sessions` bug: sessions remembered in this pod's memory, so a sign-out on
/// another pod goes unnoticed here.
actor SessionCache {
    private var sessions: [String: Session] = [:]

    func get(_ token: String) -> Session? { sessions[token] }
    func put(_ session: Session) { sessions[session.token] = session }
    func remove(_ token: String) { sessions[token] = nil }
}
