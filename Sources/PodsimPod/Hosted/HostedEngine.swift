import Hummingbird
import PodsimModel
import ServiceLifecycle

/// Today's server (the `hosted` profile). Built by the hosted engine's own files in this folder.
struct HostedEngine: ChatEngine {
    let context: PodContext

    init(context: PodContext) {
        self.context = context
    }

    func addRoutes(to router: Router<PodRequestContext>, authenticator: Authenticator) {}

    func services() -> [any Service] { [] }

    func received(_ signal: ChangeSignal) async {}

    var isDraining: Bool {
        get async { false }
    }
}
