import Foundation
import Hummingbird
import Logging
import PodsimModel
import PodsimServer

/// The coordinator's loopback control API: list processes, kill / stop / start / pause /
/// resume them by name, start link daemons, and inject, heal or restart the hosted bus.
public enum ControlServer {

    public static func application(cluster: Cluster, port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ControlErrorMiddleware())
        router.add(middleware: UnknownRouteMiddleware())
        router.get(RouterPath(ControlPath.processes)) { _, _ in ControlAPI.ProcessList(processes: await cluster.processList()) }
        router.get(RouterPath(ControlPath.cluster)) { _, _ in
            let data = try JSONEncoder().encode(await cluster.describe(controlURL: "http://127.0.0.1:\(port)"))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        router.post("/processes/:name/:action") { _, context in
            let name = context.parameters.get("name") ?? ""
            let action = context.parameters.get("action") ?? ""
            switch ProcessAction(rawValue: action) {
            case .kill: try await cluster.kill(name)
            case .stop: try await cluster.stop(name)
            case .start: try await cluster.start(name)
            case .pause: try await cluster.pause(name)
            case .resume: try await cluster.resume(name)
            case nil: throw HTTPError(.badRequest, message: "unknown action \(action); expected kill, stop, start, pause or resume")
            }
            return try await cluster.info(name)
        }
        router.post(RouterPath(ControlPath.linkDaemons)) { request, context in
            let body = try await request.decode(as: ControlAPI.StartLinkDaemon.self, context: context)
            let info = try await cluster.startLinkDaemon(name: body.name, apiKey: body.apiKey, ttlMillis: body.ttlMs)
            return EditedResponse(status: .created, response: info)
        }
        router.post(RouterPath(ControlPath.busFaults)) { request, context in
            let body = try await request.decode(as: ControlAPI.BusFault.self, context: context)
            return EditedResponse(status: .created, response: ControlAPI.BusApplied(at: try await cluster.injectBusFault(body)))
        }
        router.post(RouterPath(ControlPath.busHeal)) { _, _ in ControlAPI.BusApplied(at: try await cluster.healBus()) }
        router.post(RouterPath(ControlPath.busRestart)) { _, _ in ControlAPI.BusApplied(at: try await cluster.restartBus()) }
        var logger = Logger(label: "control")
        logger.logLevel = .warning
        return Application(
            router: router, server: .podsim(),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "podsim-control"),
            logger: logger)
    }

    /// Maps cluster errors to their statuses and any other failure to a 500 that says what
    /// happened, always as a JSON body.
    private struct ControlErrorMiddleware<Context: RequestContext>: RouterMiddleware {
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            do {
                return try await next(request, context)
            } catch let error as ClusterError {
                throw HTTPError(status(of: error), message: error.description)
            } catch let error as HTTPResponseError {
                throw error
            } catch {
                throw HTTPError(.internalServerError, message: "\(error)")
            }
        }

        private func status(of error: ClusterError) -> HTTPResponse.Status {
            switch error {
            case .unknownProcess: .notFound
            case .invalidState: .conflict
            case .invalidRequest: .badRequest
            case .unavailable: .serviceUnavailable
            case .noPort, .launchFailed, .notLive: .internalServerError
            }
        }
    }

    /// A free loopback port for the control API.
    public static func freePort() throws -> Int { try freeLoopbackPort() }
}

extension ControlAPI.ProcessStatus: ResponseEncodable {}
extension ControlAPI.ProcessList: ResponseEncodable {}
extension ControlAPI.BusApplied: ResponseEncodable {}
