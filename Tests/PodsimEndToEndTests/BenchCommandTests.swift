import Foundation
import PodsimModel
import Testing

extension EndToEnd {
    /// `podsim bench --quick` end to end: the built binary boots its clusters, runs every section
    /// and writes a JSON report. Figures are checked for presence and shape, never against timings.
    @Suite struct Bench {
        @Test func quickBenchWritesEveryFigureAsJSON() async throws {
            let jsonPath = temporaryPath("bench.json")
            defer { try? FileManager.default.removeItem(atPath: jsonPath) }
            let result = try await podsim(["bench", "--quick", "--json", jsonPath], in: packageRoot)
            try #require(result.status == 0, "podsim bench --quick exited \(result.status):\n\((result.output + result.errors).suffix(4000))")

            let data = try #require(FileManager.default.contents(atPath: jsonPath), "no JSON at \(jsonPath)")
            let report = try JSONDecoder().decode(JSONValue.self, from: data)
            #expect(report["errors"] == .object([:]), "sections failed: \(report["errors"] ?? .null)")
            for path in Self.figures {
                #expect(number(report, path) != nil, "no number at \(path.joined(separator: ".")) in\n\(String(decoding: data, as: UTF8.self))")
            }
            for pods in [1, 3] {
                #expect(row(report, "boot", pods: pods)?["bootMedianMs"]?.numberValue != nil, "no boot figure for \(pods) pods")
                #expect(row(report, "boot", pods: pods)?["floorMedianMs"]?.numberValue != nil, "no boot floor for \(pods) pods")
            }
            for pods in [1, 3, 8] {
                #expect(row(report, "throughput", pods: pods)?["runsPerSecond"]?.numberValue != nil, "no throughput for \(pods) pods")
            }
            for section in ["delivery", "fanout"] {
                #expect(number(report, [section, "watchersComplete"]) == number(report, [section, "watchers"]), "\(section): a watcher missed chunks")
            }
            #expect(report["scenario"]?["passed"] == .bool(true))
        }

        /// `--profile hosted` reaches the clusters: the sections that need no run (boot, an idle
        /// `podsim up`) measure hosted pods, and the report says which profile it measured.
        @Test func theProfileReachesTheBenchClusters() async throws {
            let jsonPath = temporaryPath("bench-hosted.json")
            defer { try? FileManager.default.removeItem(atPath: jsonPath) }
            let result = try await podsim(
                ["bench", "--quick", "--only", "boot", "--only", "memory", "--profile", "hosted", "--json", jsonPath], in: packageRoot)
            try #require(result.status == 0, "\((result.output + result.errors).suffix(4000))")
            let report = try JSONDecoder().decode(JSONValue.self, from: try #require(FileManager.default.contents(atPath: jsonPath)))
            #expect(report["profile"]?.stringValue == "hosted")
            #expect(number(report, ["memory", "maxIdlePodMiB"]) != nil)
            #expect(number(report, ["memory", "marginalPodPSSMiB"]) != nil, "the bigger idle cluster was measured too")
            #expect(result.output.contains("MiB per extra pod"))
            #expect(result.output.contains("quick plan, hosted profile"))
            #expect(try await podsim(["bench", "--profile", "hostd"]).status == 64)
        }

        /// One numeric figure of every section.
        static let figures: [[String]] = [
            ["machine", "cores"],
            ["delivery", "crossPod", "p50"], ["delivery", "crossPod", "p99"], ["delivery", "owner", "max"],
            ["delivery", "floor", "p50"], ["delivery", "p99OverFloor"],
            ["throughput", "window"],
            ["fanout", "latency", "p99"], ["fanout", "maxPeakMiB"], ["fanout", "watchers"],
            ["memory", "maxIdlePodMiB"], ["memory", "coordinator", "rssMiB"], ["memory", "mockProvider", "rssMiB"],
            ["memory", "marginalPodPSSMiB"],
            ["scenario", "wallSeconds"], ["scenario", "overhead"],
        ]

        private func number(_ value: JSONValue, _ path: [String]) -> Double? {
            path.reduce(Optional(value)) { $0?[$1] }?.numberValue
        }

        private func row(_ report: JSONValue, _ section: String, pods: Int) -> JSONValue? {
            guard case .array(let rows) = report[section]?["rows"] else { return nil }
            return rows.first { $0["pods"]?.numberValue == Double(pods) }
        }
    }
}
