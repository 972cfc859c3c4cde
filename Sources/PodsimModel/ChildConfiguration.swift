import Foundation

/// Where the mock provider listens. It only ever binds a loopback address: it is a test double,
/// never something to expose.
public struct MockAIConfiguration: Sendable, Codable, Equatable {
    /// A loopback host: `127.x.x.x`, `::1` or `localhost`.
    public var host: String
    /// 0 picks a free port; `onListening` reports the one chosen.
    public var port: Int
    /// The coordinator's pid: the provider exits when its parent changes (the coordinator died).
    public var parentPID: Int32?
    /// The coordinator's loopback UDP port for the notice that the provider listens (absent: none sent).
    public var readinessPort: Int?

    public init(host: String = "127.0.0.1", port: Int = 0, parentPID: Int32? = nil, readinessPort: Int? = nil) {
        self.host = host
        self.port = port
        self.parentPID = parentPID
        self.readinessPort = readinessPort
    }

    public var isLoopback: Bool { Loopback.isLoopbackHost(host) }

    /// The host as it appears in a URL.
    public var urlHost: String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// Everything a link daemon needs: where to register, as whom, and how long its link lives.
public struct LinkDaemonConfiguration: Sendable, Codable, Equatable {
    public var name: String
    public var host: String
    public var port: Int
    /// Pods to register with; the daemon moves to the next one when a pod stops answering.
    public var podURLs: [String]
    public var apiKey: String
    public var ttlMillis: Int64
    public var heartbeatMillis: Int64
    public var parentPID: Int32?
    /// The coordinator's loopback UDP port for the notice that the daemon listens (absent: none sent).
    public var readinessPort: Int?

    public init(
        name: String, host: String = "127.0.0.1", port: Int, podURLs: [String], apiKey: String,
        ttlMillis: Int64 = 3000, heartbeatMillis: Int64? = nil, parentPID: Int32? = nil, readinessPort: Int? = nil
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.podURLs = podURLs
        self.apiKey = apiKey
        self.ttlMillis = ttlMillis
        self.heartbeatMillis = heartbeatMillis ?? max(ttlMillis / 3, 50)
        self.parentPID = parentPID
        self.readinessPort = readinessPort
    }

    public var url: String { "http://\(host):\(port)" }
}

/// How the coordinator hands a child process its configuration: one JSON value on the command
/// line (`podsim pod --config '{…}'`), encoded and decoded by the same type on both sides.
public protocol ChildConfiguration: Codable, Sendable {}

extension ChildConfiguration {
    /// The configuration as the single `--config` argument.
    public func encodedArgument() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads a configuration written by `encodedArgument()`.
    public init(encodedArgument text: String) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(text.utf8))
    }
}

extension PodConfiguration: ChildConfiguration {}
extension MockAIConfiguration: ChildConfiguration {}
extension LinkDaemonConfiguration: ChildConfiguration {}
