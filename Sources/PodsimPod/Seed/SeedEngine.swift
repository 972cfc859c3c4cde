import Hummingbird
import PodsimModel
import ServiceLifecycle

/// The June 2026 server: runs claimed from the shared queue under a lease that any survivor
/// reclaims when it lapses, chunk logs scoped to the attempt, link daemons.
struct SeedEngine: ChatEngine {
    let context: PodContext
    let worker: RunWorker
    let feeds: ChunkFeeds

    init(context: PodContext) {
        self.context = context
        self.worker = RunWorker(context: context)
        self.feeds = ChunkFeeds(store: context.store, pod: context.name)
    }

    func addRoutes(to router: Router<PodRequestContext>, authenticator: Authenticator) {
        router.addRoutes(
            SeedChatRoutes(pod: context, authenticator: authenticator, worker: worker, feeds: feeds).routes(), atPath: "api/:org/decopilot")
        router.addRoutes(LinkRoutes(pod: context, authenticator: authenticator).routes(), atPath: "api/links")
    }

    func services() -> [any Service] {
        let timings = context.configuration.timings
        return [
            KeepaliveTicker(feeds: feeds, keepaliveMillis: timings.keepaliveMillis),
            LeaseKeeper(worker: worker, context: context),
            RunWorkerService(worker: worker, drainMillis: timings.drainMillis),
        ]
    }

    func received(_ signal: ChangeSignal) async {
        switch signal {
        case .chunks(let threadId): await feeds.signal(threadId: threadId)
        case .runsAvailable: await worker.doorbell.ring()
        case .cancel(let runId): await worker.cancelSignalled(runId: runId)
        case .cancelThread: break
        }
    }

    var isDraining: Bool {
        get async { await worker.isDraining }
    }
}
