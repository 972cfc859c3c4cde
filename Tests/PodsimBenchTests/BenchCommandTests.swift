import Foundation
import PodsimWire
import Testing

/// `podsim bench --quick` end to end: the built binary boots its clusters, runs every section and
/// writes a JSON report. Figures are checked for presence and shape, never against timings.
@Suite struct BenchCommandTests {
    @Test func quickBenchWritesEveryFigureAsJSON() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("podsim-bench-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let jsonPath = scratch.appendingPathComponent("bench.json").path
        let logPath = scratch.appendingPathComponent("bench.log").path

        let status = try await run(try podsimBinary(), ["bench", "--quick", "--json", jsonPath], logPath: logPath)
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        try #require(status == 0, "podsim bench --quick exited \(status):\n\(log.suffix(4000))")

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

    /// One numeric figure of every section.
    static let figures: [[String]] = [
        ["machine", "cores"],
        ["delivery", "crossPod", "p50"], ["delivery", "crossPod", "p99"], ["delivery", "owner", "max"],
        ["delivery", "floor", "p50"], ["delivery", "p99OverFloor"],
        ["throughput", "window"],
        ["fanout", "latency", "p99"], ["fanout", "maxPeakMiB"], ["fanout", "watchers"],
        ["memory", "maxIdlePodMiB"], ["memory", "coordinator", "rssMiB"], ["memory", "mockProvider", "rssMiB"],
        ["scenario", "wallSeconds"], ["scenario", "overhead"],
    ]

    private func number(_ value: JSONValue, _ path: [String]) -> Double? {
        path.reduce(Optional(value)) { $0?[$1] }?.numberValue
    }

    private func row(_ report: JSONValue, _ section: String, pods: Int) -> JSONValue? {
        guard case .array(let rows) = report[section]?["rows"] else { return nil }
        return rows.first { $0["pods"]?.numberValue == Double(pods) }
    }

    /// Runs the binary from the package root (where `Scenarios/` is) with output to `logPath`, and
    /// returns its exit status; a run that hangs is killed after ten minutes.
    private func run(_ executable: String, _ arguments: [String], logPath: String) async throws -> Int32 {
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = Self.packageRoot
        process.standardOutput = output
        process.standardError = output
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in exited.stream {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(600))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            process.terminate()
            process.waitUntilExit()
            Issue.record("podsim bench --quick did not exit within ten minutes")
        }
        return process.terminationStatus
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The podsim binary built next to this test bundle (or `PODSIM_BINARY`).
    private func podsimBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["PODSIM_BINARY"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("podsim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw BinaryNotFound(description: "podsim binary not found next to \(me); build it first (swift build) or set PODSIM_BINARY")
    }

    private struct BinaryNotFound: Error, CustomStringConvertible {
        let description: String
    }
}
