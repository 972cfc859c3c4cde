import Foundation
import PodsimModel
import PodsimStore
import Testing

extension EndToEnd {
    /// Every run records a history; the checkers judge it; the timeline draws it.
    @Suite struct Histories {
        /// The lane of the timeline named `name`, as text.
        private func lane(_ name: String, in html: String) -> Substring? {
            guard let start = html.range(of: "<g class=\"lane\" data-lane=\"\(name)\"") else { return nil }
            let rest = html[start.lowerBound...]
            let end = rest.range(of: "<g class=\"lane\" data-lane=", range: rest.index(after: rest.startIndex)..<rest.endIndex)?.lowerBound ?? rest.endIndex
            return rest[..<end]
        }

        /// Runs `podsim run` with `--keep` and a JSON report; returns the result and each
        /// scenario's kept state directory and history path (nil without one).
        private func runKept(_ arguments: [String]) async throws -> (CommandResult, [(state: String, history: String?)]) {
            let json = temporaryPath("report.json")
            defer { try? FileManager.default.removeItem(atPath: json) }
            let result = try await podsim(["run"] + arguments + ["--keep", "--json", json], in: packageRoot)
            let report = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            guard case .array(let results)? = report["results"] else { throw SupportError("no results in \(report)") }
            return (result, results.compactMap { entry in entry["stateDirectory"]?.stringValue.map { ($0, entry["history"]?.stringValue) } })
        }

        /// The headline bug, resumed without a purge: the scenario's assertion and the delivery
        /// checker both catch it, the report points at the timeline, and the timeline shows the
        /// pods, the kill and the late watcher's chunk of the dead attempt, highlighted.
        @Test func aFailedRunsTimelineShowsTheKillAndTheDuplicatedChunk() async throws {
            let directory = temporaryPath("timelines")
            let junit = temporaryPath("junit.xml")
            defer {
                try? FileManager.default.removeItem(atPath: directory)
                try? FileManager.default.removeItem(atPath: junit)
            }
            let result = try await podsim(
                ["run", "Scenarios/pod-death-replay.yaml", "--bug", "resume-without-purge", "--html", directory, "--junit", junit], in: packageRoot)
            #expect(result.status == 1)
            #expect(result.output.contains("step:     check watcher late"), "the scenario's own assertion")
            #expect(result.output.contains("checker delivery failed"), "\(result.output)")
            #expect(result.output.contains("watcher late (pod-3)") || result.output.contains("watcher late (pod-"))
            let path = directory + "/Scenarios-pod-death-replay.html"
            #expect(result.output.contains("timeline: \(path)"))
            let html = try String(contentsOfFile: path, encoding: .utf8)
            for name in ["steps", "faults", "mock-ai", "pod-1", "pod-2", "pod-3", "watcher late", "watcher w1"] {
                #expect(lane(name, in: html) != nil, "a lane for \(name)")
            }
            let faults = try #require(lane("faults", in: html))
            #expect(faults.contains("<g class=\"fault\" data-action=\"kill\" data-target=\"pod-"))
            let late = try #require(lane("watcher late", in: html))
            #expect(late.contains("<rect class=\"delivery violation\""), "the late watcher's chunk of the dead attempt is highlighted")
            #expect(html.contains("id=\"verdict-delivery\""))
            #expect(!html.contains("http://") && !html.contains("https://"), "self-contained")
            #expect(try String(contentsOfFile: junit, encoding: .utf8).contains(path), "the JUnit failure links its timeline")

            // The kept history renders and judges the same way on its own.
            let state = try #require(keptStateDirectories(result.output).first)
            defer { try? FileManager.default.removeItem(atPath: state) }
            let history = state + "/history.jsonl"
            let lines = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n")
            #expect(lines.first?.hasPrefix(#"{"kind":"history","format":1,"scenario":"pod-death-replay""#) == true)
            // (The failed step ends the run at once: the reclaimed run's terminal write may come after the history is written.)
            for kind in ["step-start", "request", "attach", "delivery", "fault", "run-claimed", "run-reclaimed", "chunk-appended", "provider-call"] {
                #expect(lines.contains { $0.contains("\"kind\":\"\(kind)\"") }, "the history holds \(kind) events")
            }
            let rendered = try await podsim(["timeline", history])
            #expect(rendered.status == 0)
            #expect(rendered.output.contains("<g class=\"lane\" data-lane=\"watcher late\""))
            let checked = try await podsim(["check", history])
            #expect(checked.status == 1)
            #expect(checked.output.contains("fail    delivery"))
        }

        /// A clean run of each profile passes every checker, and its history says so on its own.
        @Test func cleanRunsPassEveryChecker() async throws {
            let (result, kept) = try await runKept(["Scenarios/attach-cross-pod.yaml", "Scenarios/hosted/attach-cross-pod.yaml"])
            defer { for run in kept { try? FileManager.default.removeItem(atPath: run.state) } }
            #expect(result.status == 0, "\(result.output)")
            #expect(kept.count == 2)
            for run in kept {
                let history = try #require(run.history)
                #expect(history == run.state + "/history.jsonl")
                let checked = try await podsim(["check", history])
                #expect(checked.status == 0, "\(checked.output)")
                #expect(!checked.output.contains("fail "))
                let text = try String(contentsOfFile: history, encoding: .utf8)
                #expect(text.contains(#""kind":"run-finished""#) || text.contains(#""kind":"workflow-finished""#), "a clean run settles before it is judged")
            }
        }

        /// `--no-history`: no history file and no journal rows, for measuring what recording costs.
        @Test func noHistoryRecordsNothing() async throws {
            let (result, kept) = try await runKept(["Scenarios/cluster-smoke.yaml", "--no-history"])
            let state = try #require(kept.first?.state)
            defer { try? FileManager.default.removeItem(atPath: state) }
            #expect(result.status == 0, "\(result.output)")
            #expect(kept.first?.history == nil)
            #expect(!FileManager.default.fileExists(atPath: state + "/history.jsonl"))
            let store = try await Store.open(at: state + "/store.sqlite", clock: { 0 })
            #expect(try await store.journal().isEmpty)
            let refused = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--no-history", "--html", "/tmp/x"], in: packageRoot)
            #expect(refused.status != 0)
            #expect(refused.errors.contains("--html"))
        }

        /// Bad history files get a clear error and exit 2.
        @Test func aFileThatIsNotAHistoryIsRefused() async throws {
            let path = temporaryPath("bad.jsonl")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data("{\"kind\":\"nope\"}\n".utf8).write(to: URL(fileURLWithPath: path))
            for command in ["timeline", "check"] {
                let result = try await podsim([command, path])
                #expect(result.status == 2)
                #expect(result.errors.contains("line 1"), "\(result.errors)")
            }
        }
    }
}
