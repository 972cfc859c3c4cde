import Foundation
import Hummingbird
import Logging
import PodsimWire

/// The coordinator's loopback control API: list processes, kill / stop / start / pause /
/// resume them by name, and start link daemons.
public enum ControlServer {
    private struct ProcessList: ResponseEncodable { var processes: [Cluster.ProcessInfo] }
    private struct StartLink: Decodable {
        var name: String?
        var apiKey: String?
        var ttlMs: Int64?
    }

    public static func application(cluster: Cluster, port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.get("/processes") { _, _ in ProcessList(processes: await cluster.processList()) }
        router.get("/cluster") { _, _ in
            let data = try JSONEncoder().encode(await cluster.describe(controlURL: "http://127.0.0.1:\(port)"))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        router.post("/processes/:name/:action") { _, context in
            let name = context.parameters.get("name") ?? ""
            let action = context.parameters.get("action") ?? ""
            do {
                switch action {
                case "kill": try await cluster.kill(name)
                case "stop": try await cluster.stop(name)
                case "start": try await cluster.start(name)
                case "pause": try await cluster.pause(name)
                case "resume": try await cluster.resume(name)
                default: throw HTTPError(.badRequest, message: "unknown action \(action); expected kill, stop, start, pause or resume")
                }
                return try await cluster.info(name)
            } catch let error as ClusterError {
                throw httpError(error)
            }
        }
        router.post("/link-daemons") { request, context in
            let body = try await request.decode(as: StartLink.self, context: context)
            do {
                let account: Cluster.LinkAccount
                if let apiKey = body.apiKey {
                    account = Cluster.LinkAccount(apiKey: apiKey)
                } else {
                    account = try await cluster.bootstrapAccount(name: "link user")
                }
                let daemonCount = await cluster.processList().filter { $0.role == .linkDaemon }.count
                let name = body.name ?? "link-\(daemonCount + 1)"
                let info = try await cluster.startLinkDaemon(
                    LinkDaemonSpec(name: name, apiKey: account.apiKey, ttlMillis: body.ttlMs ?? 3000), account: account)
                return EditedResponse(status: .created, response: info)
            } catch let error as ClusterError {
                throw httpError(error)
            }
        }
        var logger = Logger(label: "control")
        logger.logLevel = .warning
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "podsim-control"),
            logger: logger)
    }

    private static func httpError(_ error: ClusterError) -> HTTPError {
        switch error {
        case .unknownProcess: HTTPError(.notFound, message: error.description)
        case .invalidState: HTTPError(.conflict, message: error.description)
        default: HTTPError(.internalServerError, message: error.description)
        }
    }

    /// A free loopback port for the control API.
    public static func freePort() throws -> Int { try freeLoopbackPort() }
}

extension Cluster.ProcessInfo: ResponseEncodable {}
