#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ServiceLifecycle

/// Keeps a child process from outliving the coordinator that started it: when the parent pid
/// changes (the coordinator died, even by SIGKILL), `run` returns, and the service group, told
/// by `configuration`, shuts the whole process down gracefully. Every child role runs one.
public struct ParentWatch: Service {
    public let parent: Int32
    public let name: String

    public init(parent: Int32, name: String) {
        self.parent = parent
        self.name = name
    }

    /// This watch as a member of a service group: its return shuts the group down gracefully.
    public var configuration: ServiceGroupConfiguration.ServiceConfiguration {
        .named(self, successTerminationBehavior: .gracefullyShutdownGroup)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if getppid() != parent {
                logLine("\(name): coordinator \(parent) is gone; exiting")
                return
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(200)) }
        }
    }
}
