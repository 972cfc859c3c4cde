import Foundation

/// The figures one `podsim bench` run produced, section by section, with the machine they were
/// measured on and the targets judged against them. This is the `--json` document; the
/// table on stdout is rendered from it.
public struct BenchReport: Codable, Sendable {
    public struct Machine: Codable, Sendable {
        public var cores: Int
        public var memoryGiB: Double
        /// `release` or `debug`: targets are only meaningful for a release build.
        public var build: String
    }

    public var plan: String
    /// The server profile the clusters ran (`seed` or `hosted`).
    public var profile: String
    public var machine: Machine
    public var startedAt: String
    public var seconds: Double
    public var boot: BootFigures?
    public var delivery: DeliveryFigures?
    public var throughput: ThroughputFigures?
    public var fanout: FanoutFigures?
    public var memory: MemoryFigures?
    public var scenario: ScenarioFigures?
    /// Sections that could not produce figures, with the reason.
    public var errors: [String: String]
    public var targets: [TargetCheck]

    static var currentMachine: Machine {
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        return Machine(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30) * 10).rounded() / 10, build: build)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
