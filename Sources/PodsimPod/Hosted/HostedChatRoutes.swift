import Hummingbird
import PodsimModel

/// The hosted profile's chat API under `/api/:org/decopilot`.
struct HostedChatRoutes {
    let pod: PodContext
    let authenticator: Authenticator
    let runs: HostedRuns
    let feeds: SubjectFeeds

    func routes() -> RouteCollection<PodRequestContext> {
        RouteCollection(context: PodRequestContext.self)
    }
}
