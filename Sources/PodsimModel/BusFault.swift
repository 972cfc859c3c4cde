/// A fault injected into the hosted profile's stream bus (the stand-in for JetStream), shared by
/// every pod through the store (see the README's "Bus faults").
public enum BusFaultKind: String, Sendable, Codable, CaseIterable {
    /// Publishes fail with a transient `no responders` error (a JetStream leader election).
    case refusePublish = "refuse-publish"
    /// The next `count` consumer opens (a `/stream` tail, a projector) fail with a transient error.
    case failConsumerOpen = "fail-consumer-open"
    /// The pod has no JetStream handle: streams answer 204, projectors and publishes fail.
    case degrade
    /// The next `count` child starts (`startHostedHarness`, the enqueue) fail.
    case failChildStart = "fail-child-start"

    /// Whether the fault is used up by a number of operations (`count`) rather than lasting a duration.
    public var isCounted: Bool { self == .failConsumerOpen || self == .failChildStart }
}

/// The limits a bus fault's duration and count must respect (anything larger is a typo).
public enum BusFaultLimits {
    public static let maxDurationMillis: Int64 = 600_000
    public static let maxCount = 1000
}
