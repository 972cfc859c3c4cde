import Hummingbird
import PodsimModel

/// `GET /health/live` and `GET /health/ready`.
struct HealthRoutes {
    let context: PodContext
    let worker: RunWorker

    private struct Live: Encodable { var status = "ok" }
    private struct Ready: Encodable {
        struct Service: Encodable { var status: String }
        var status: String
        var services: [String: Service]?
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/health/live") { _, _ in jsonResponse(Live()) }
        router.get("/health/ready") { _, _ in
            if await worker.isDraining {
                return jsonResponse(Ready(status: "shutting_down"), status: .serviceUnavailable)
            }
            let storeUp = (try? await context.store.podEndpoints()) != nil
            return jsonResponse(
                Ready(status: storeUp ? "ready" : "not_ready", services: ["store": .init(status: storeUp ? "up" : "down")]),
                status: storeUp ? .ok : .serviceUnavailable)
        }
    }
}
