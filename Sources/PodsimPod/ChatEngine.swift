import Hummingbird
import ServiceLifecycle

/// What differs between the server profiles, chosen once per pod: how a turn is accepted and
/// dispatched (the chat routes), how it is executed, logged and recovered (the services), what a
/// change signal from another pod means, and when the pod is draining.
///
/// `SeedEngine` (June 2026: a lease any survivor reclaims, attempt-scoped chunk logs) and
/// `HostedEngine` (today: gate, child and projector workflows, a fence per turn, one subject per
/// thread, recovery bound to the executing pod's name) each keep their concerns in their own
/// folder, so the two eras read side by side.
protocol ChatEngine: Sendable {
    /// Mounts the profile's chat API (`/api/:org/decopilot/…`, and `/api/links` in `seed`).
    func addRoutes(to router: Router<PodRequestContext>, authenticator: Authenticator)
    /// The profile's long-running services, in start order (they stop in reverse).
    func services() -> [any Service]
    /// A change signal from a pod (this one included).
    func received(_ signal: ChangeSignal) async
    /// True once the pod started its graceful shutdown (readiness answers 503).
    var isDraining: Bool { get async }
}

extension PodContext {
    /// The engine of the pod's profile.
    func makeEngine() -> any ChatEngine {
        switch configuration.profile {
        case .seed: SeedEngine(context: self)
        case .hosted: HostedEngine(context: self)
        }
    }
}
