import Hummingbird
import PodsimServer

/// The pod's HTTP API, built in one place for `Pod.run` and for the router tests. Building it
/// starts nothing: the worker and the feeds only answer what the routes ask them.
enum PodRouter {
    static func build(pod: PodContext, worker: RunWorker, feeds: ChunkFeeds) -> Router<PodRequestContext> {
        let authenticator = Authenticator(pod: pod, sessionCache: SessionCache())
        let router = Router(context: PodRequestContext.self)
        router.add(middleware: PodErrorMiddleware())
        router.add(middleware: UnknownRouteMiddleware { status, message in
            status == .notFound ? PodError.notFound(message) : PodError.methodNotAllowed(message)
        })
        router.addRoutes(HealthRoutes(pod: pod, worker: worker).routes(), atPath: "health")
        router.addRoutes(AccountRoutes(pod: pod, authenticator: authenticator).routes(), atPath: "api")
        router.addRoutes(
            DecopilotRoutes(pod: pod, authenticator: authenticator, worker: worker, feeds: feeds).routes(), atPath: "api/:org/decopilot")
        router.addRoutes(LinkRoutes(pod: pod, authenticator: authenticator).routes(), atPath: "api/links")
        return router
    }
}
