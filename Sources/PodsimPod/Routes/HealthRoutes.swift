import Hummingbird
import PodsimModel

/// `GET /health/live` and `GET /health/ready`: public, no credentials.
struct HealthRoutes {
    let pod: PodContext
    let engine: any ChatEngine

    func routes() -> RouteCollection<PodRequestContext> {
        let routes = RouteCollection(context: PodRequestContext.self)
        routes.get("live") { _, _ in PodAPI.Live() }
        routes.get("ready", use: ready)
        return routes
    }

    func ready(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.Ready> {
        if await engine.isDraining {
            return EditedResponse(status: .serviceUnavailable, response: PodAPI.Ready(status: "shutting_down"))
        }
        let storeUp = (try? await pod.store.podEndpoints()) != nil
        return EditedResponse(
            status: storeUp ? .ok : .serviceUnavailable,
            response: PodAPI.Ready(status: storeUp ? "ready" : "not_ready", services: ["store": .init(status: storeUp ? "up" : "down")]))
    }
}
