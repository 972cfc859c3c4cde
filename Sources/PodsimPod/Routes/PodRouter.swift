import Hummingbird
import PodsimServer

/// The pod's HTTP API, built in one place for `Pod.run` and for the router tests. Building it
/// starts nothing: the engine only answers what the routes ask it. Each request is answered from
/// a child task, so a long stream keeps none of its handling's memory (`ChildTaskResponderBuilder`).
enum PodRouter {
    static func build(pod: PodContext, engine: any ChatEngine) -> ChildTaskResponderBuilder<Router<PodRequestContext>> {
        let authenticator = Authenticator(pod: pod, sessionCache: SessionCache())
        let router = Router(context: PodRequestContext.self)
        router.add(middleware: PodErrorMiddleware())
        router.add(middleware: UnknownRouteMiddleware { status, message in
            status == .notFound ? PodError.notFound(message) : PodError.methodNotAllowed(message)
        })
        router.addRoutes(HealthRoutes(pod: pod, engine: engine).routes(), atPath: "health")
        router.addRoutes(AccountRoutes(pod: pod, authenticator: authenticator).routes(), atPath: "api")
        engine.addRoutes(to: router, authenticator: authenticator)
        return ChildTaskResponderBuilder(router)
    }
}
