import Foundation

/// The machine-readable report: totals and every result.
public struct JSONReport: Codable, Sendable {
    public var passed: Int
    public var failed: Int
    /// Scenarios that did not fit the `--target` cluster (each result says why).
    public var skipped: Int
    public var seconds: Double
    public var results: [ScenarioResult]

    public init(_ results: [ScenarioResult], seconds: Double) {
        self.results = results
        self.seconds = seconds
        failed = results.filter { !$0.passed }.count
        skipped = results.filter { $0.skipped != nil }.count
        passed = results.count - failed - skipped
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
