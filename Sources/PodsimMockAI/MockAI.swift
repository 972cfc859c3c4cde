import Hummingbird
import PodsimModel
import PodsimServer
import ServiceLifecycle

/// Why the mock provider refused to start.
public enum MockAIError: Error, CustomStringConvertible {
    case notLoopback(host: String)

    public var description: String {
        switch self {
        case .notLoopback(let host): "mock-ai only listens on a loopback address, not \(host)"
        }
    }
}

/// Runs the provider until the task is cancelled, SIGTERM/SIGINT arrives or the coordinator
/// given as `parentPID` dies (graceful shutdown each time). `onListening` is called once with the
/// bound port.
public func runMockAI(
    _ configuration: MockAIConfiguration, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws {
    let app = try makeMockAIApplication(configuration, onListening: onListening)
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.named(app)]
    if let parent = configuration.parentPID {
        services.append(ParentWatch(parent: parent, name: "mock-ai").configuration)
    }
    try await ServiceGroup(
        configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
    ).run()
}

/// The provider as a Hummingbird application, to run in a service group.
func makeMockAIApplication(
    _ configuration: MockAIConfiguration, onListening: @escaping @Sendable (Int) async -> Void
) throws -> Application<RouterResponder<BasicRequestContext>> {
    guard configuration.isLoopback else { throw MockAIError.notLoopback(host: configuration.host) }
    return Application(
        router: MockAIServer().router(),
        server: .podsim(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logLine("mock-ai listening on http://\(configuration.urlHost):\(port)")
            ReadinessNotice.send(toPort: configuration.readinessPort)
            await onListening(port)
        })
}
