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
    /// Wakes this pod's projectors when their thread's subject changes.
    let wakeups: SubjectWakeups
    /// Dequeues and runs this pod's gates and children.
    let worker: WorkflowWorker

    init(context: PodContext) {
        self.context = context
        self.runs = HostedRuns()
        self.feeds = SubjectFeeds(store: context.store, pod: context.name)
        self.wakeups = SubjectWakeups()
        self.worker = WorkflowWorker(context: context, runs: runs, wakeups: wakeups)
    }

    func addRoutes(to router: Router<PodRequestContext>, authenticator: Authenticator) {
        router.addRoutes(
            HostedChatRoutes(pod: context, authenticator: authenticator, runs: runs, feeds: feeds).routes(), atPath: "api/:org/decopilot")
    }

    func services() -> [any Service] {
        // Started in this order, stopped in reverse: the worker drains and hands its gates back
        // first, then the streams close.
        var services: [any Service] = [
            KeepaliveTicker(feeds: feeds, keepaliveMillis: context.configuration.timings.keepaliveMillis),
            WorkflowService(worker: worker, drainMillis: context.configuration.timings.drainMillis),
            Reaper(context: context, runs: runs),
        ]
        if let delay = context.configuration.hosted.conductorDelayMillis {
            services.append(Conductor(context: context, delayMillis: delay))
        }
        return services
    }

    func received(_ signal: ChangeSignal) async {
        switch signal {
        case .chunks(let threadId):
            await wakeups.ring(threadId: threadId)
            await feeds.signal(threadId: threadId)
        case .runsAvailable: await worker.doorbell.ring()
        case .cancelThread(let threadId): await worker.cancelSignalled(threadId: threadId)
        case .cancel: break
        }
    }

    var isDraining: Bool {
        get async { await worker.isDraining }
    }
}
