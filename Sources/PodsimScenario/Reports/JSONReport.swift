import Foundation

/// The machine-readable report: totals and every result.
public struct JSONReport: Codable, Sendable {
    public var passed: Int
    public var failed: Int
    public var seconds: Double
    public var results: [ScenarioResult]

    public init(_ results: [ScenarioResult], seconds: Double) {
        self.results = results
        self.seconds = seconds
        failed = results.filter { !$0.passed }.count
        passed = results.count - failed
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
