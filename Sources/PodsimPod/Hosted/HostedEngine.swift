import Hummingbird
import PodsimModel
import ServiceLifecycle

/// Today's server (the `hosted` profile): a POST enqueues a gate workflow; the gate mints the
/// turn's fence and starts a child workflow, which runs the agent loop and publishes to the
/// thread's subject, while the gate's projector tails the subject and writes parts and the
/// terminal status. Workflows recover only when their executor's name restarts (or through a
/// conductor), and a run nobody recovers fails `liveness`.
struct HostedEngine: ChatEngine {
    let context: PodContext
    /// The children this pod executes (cancel, reaper).
    let runs: HostedRuns
    /// Fans each thread's subject out to this pod's watchers.
    let feeds: SubjectFeeds

    init(context: PodContext) {
        self.context = context
        self.runs = HostedRuns()
        self.feeds = SubjectFeeds(store: context.store)
    }

    func addRoutes(to router: Router<PodRequestContext>, authenticator: Authenticator) {
        router.addRoutes(
            HostedChatRoutes(pod: context, authenticator: authenticator, runs: runs, feeds: feeds).routes(), atPath: "api/:org/decopilot")
    }

    func services() -> [any Service] { [] }

    func received(_ signal: ChangeSignal) async {}

    var isDraining: Bool {
        get async { false }
    }
}
