import Foundation
import PodsimModel
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// What one `podsim …` invocation printed and how it exited.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs the podsim binary to completion.
func podsim(_ arguments: [String], in directory: URL? = nil) async throws -> CommandResult {
    try await runProgram(try podsimBinary(), arguments, in: directory)
}

/// Runs a program to completion (output is read concurrently so a full pipe never blocks it).
func runProgram(_ executable: String, _ arguments: [String], in directory: URL? = nil) async throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    async let out = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
    async let err = Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }.value
    let (outData, errData) = await (out, err)
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), errors: String(decoding: errData, as: UTF8.self))
}

/// The package's root directory (where `Scenarios/` is).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

/// A file of Tests/Fixtures.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/\(name)").standardized.path
}

/// The state directories a `podsim run` report says it kept (its `state:` lines).
func keptStateDirectories(_ output: String) -> [String] {
    output.split(separator: "\n").filter { $0.contains("state:    ") }
        .compactMap { $0.split(separator: " ").first { $0.hasPrefix("/") }.map(String.init) }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.path + "/podsim-\(UUID().uuidString.prefix(8))-\(name)"
}

extension EndToEnd {
    /// `podsim run`, `validate` and `prove` as CI and scenario authors use them.
    @Suite struct ScenarioCommands {
        @Test func everyStepKindRunsAgainstARealCluster() async throws {
            let json = temporaryPath("report.json")
            defer { try? FileManager.default.removeItem(atPath: json) }
            let result = try await podsim(["run", fixture("every-step.yaml"), "--json", json])
            #expect(result.status == 0, "\(result.output)\n\(result.errors)")
            #expect(result.output.contains("1 passed, 0 failed"))
            let report = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(report["passed"] == 1)
            guard case .array(let results)? = report["results"], let first = results.first else { throw SupportError("no results in \(report)") }
            #expect(first["stepsRun"]?.numberValue ?? 0 >= 30)
            #expect(first["stateDirectory"] == nil, "a passing run's state directory is removed")
        }

        @Test func aFailingScenarioReportsWhereWhatAndKeepsItsState() async throws {
            let junit = temporaryPath("junit.xml")
            defer { try? FileManager.default.removeItem(atPath: junit) }
            let file = fixture("failing.yaml")
            let result = try await podsim(["run", file, "--junit", junit])
            #expect(result.status == 1)
            let output = result.output
            #expect(output.contains("✘ failing"))
            #expect(output.contains("at:       \(file):21:"), "\(output)")
            #expect(output.contains("step:     check thread t"))
            #expect(output.contains("expected: partCount = 7"))
            #expect(output.contains("actual:   partCount = 2"))
            #expect(output.contains("--- pod-1: last lines of"))
            #expect(output.contains("claimed run 1"), "the owner's log tail is shown")
            #expect(output.contains("0 passed, 1 failed"))
            let state = try #require(keptStateDirectories(output).first)
            #expect(FileManager.default.fileExists(atPath: state + "/store.sqlite"), "the failed run's state is kept")
            #expect(FileManager.default.fileExists(atPath: state + "/logs/pod-2.log"))
            try? FileManager.default.removeItem(atPath: state)

            let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
            #expect(document.rootElement()?.attribute(forName: "failures")?.stringValue == "1")
            let failure = try document.nodes(forXPath: "//testcase/failure").first as? XMLElement
            #expect(failure?.attribute(forName: "message")?.stringValue?.contains("expected partCount = 7, got partCount = 2") == true)
        }

        @Test func anInvalidScenarioRunsNothingAndExitsTwo() async throws {
            let result = try await podsim(["run", fixture("invalid.yaml")])
            #expect(result.status == 2)
            #expect(result.errors.contains("\(fixture("invalid.yaml")):4:11: error: wait: bad duration 'soon'"), "\(result.errors)")
            #expect(!result.output.contains("▶"))
            let validate = try await podsim(["validate", fixture("invalid.yaml"), fixture("failing.yaml")])
            #expect(validate.status == 2)
            let suite = try await podsim(["validate", fixture("../../Scenarios")])
            #expect(suite.status == 0, "\(suite.errors)")
            #expect(suite.output.split(separator: "\n").count(where: { $0.hasPrefix("ok ") }) >= 14)
            let missing = try await podsim(["run", "no-such-dir"])
            #expect(missing.status == 2)
            #expect(missing.errors.contains("no-such-dir:1:1: error: no such file or directory"))
        }

        @Test func proveFlagsABugItsScenarioDoesNotCatch() async throws {
            let result = try await podsim(["prove", fixture("escapes.yaml")])
            #expect(result.status == 1)
            let rows = result.output.split(separator: "\n").map(String.init)
            #expect(rows.contains { $0.hasPrefix("seed") && $0.contains("escapes") && $0.contains("(none)") && $0.contains("passes") })
            #expect(rows.contains { $0.hasPrefix("seed") && $0.contains("escapes") && $0.contains("pod-local-sessions") && $0.contains("ESCAPED") })
            #expect(result.output.contains("guarded by no scenario: eager-ensure-vm"))
        }

        /// A directory's subdirectories are part of it; a hosted scenario that guards nothing
        /// passes, and prove names the hosted switches and open bugs nothing guards (but no seed
        /// switch, for want of a seed scenario); `--profile` gives the profile of scenarios that
        /// name none.
        @Test func subdirectoriesProfilesAndHostedScenariosThatGuardNothing() async throws {
            let root = temporaryPath("suite")
            defer { try? FileManager.default.removeItem(atPath: root) }
            try FileManager.default.createDirectory(atPath: root + "/hosted", withIntermediateDirectories: true)
            let session = "  - bootstrap: s\n  - check:\n      request: GET /api/auth/get-session\n      auth: cookie\n      on: pod-2\n"
                + "      expect:\n        paths: {session.pod: pod-2}\n"
            try "# hosted, guards nothing\ncluster:\n  profile: hosted\n  pods: 2\n  runCap: 1\nsteps:\n\(session)"
                .write(toFile: root + "/hosted/session.yaml", atomically: true, encoding: .utf8)
            try "# no profile named\ncluster:\n  pods: 2\n  idleTimeout: 2s\nsteps:\n\(session)"
                .write(toFile: root + "/hosted/unnamed.yaml", atomically: true, encoding: .utf8)

            let prove = try await podsim(["prove", root + "/hosted/session.yaml"])
            #expect(prove.status == 1, "\(prove.output)\n\(prove.errors)")
            let row = prove.output.split(separator: "\n").first { $0.hasPrefix("hosted") && $0.contains("session") }
            #expect(row?.contains("(none)") == true && row?.contains("passes") == true, "\(prove.output)")
            #expect(prove.output.contains("guarded by no scenario: stale-progress-reap"), "\(prove.output)")
            #expect(!prove.output.contains("no-reclaim"))
            #expect(prove.output.contains("dedup-after-purge: reproduced by no scenario"))
            let seedRun = try await podsim(["run", root])
            #expect(seedRun.status == 2)
            #expect(seedRun.errors.contains("\(root)/hosted/unnamed.yaml:4:3: error: cluster.idleTimeout applies to the hosted profile only"), "\(seedRun.errors)")
            let validate = try await podsim(["validate", root, "--profile", "hosted"])
            #expect(validate.status == 0, "\(validate.errors)")
            #expect(validate.output.contains(": hosted/unnamed (2 steps, hosted profile)"), "\(validate.output)")
            let hostedRun = try await podsim(["run", root, "--profile", "hosted"])
            #expect(hostedRun.status == 0, "\(hostedRun.output)\n\(hostedRun.errors)")
            #expect(hostedRun.output.contains("✔ hosted/session"))
            #expect(hostedRun.output.contains("✔ hosted/unnamed"))
            #expect(try await podsim(["run", root, "--profile", "hostd"]).status == 64)
            let bugs = try await podsim(["bugs"])
            let sections = bugs.output.components(separatedBy: "\n\n")
            #expect(sections.count == 2, "\(bugs.output)")
            #expect(sections[0].split(separator: "\n").allSatisfy { $0.contains("[seed]") || $0.contains("[hosted]") }, "\(bugs.output)")
            #expect(sections[0].contains("no-hosted-cap") && sections[0].contains("#4575, 2026-07-15"))
            #expect(sections[0].contains("publish-no-retry") && sections[0].contains("#6597"))
            #expect(sections[0].contains("post-time-fence") && sections[0].contains("[hosted]"))
            #expect(sections.last?.hasPrefix("Open bugs") == true)
            #expect(sections.last?.contains("dedup-after-purge") == true && sections.last?.contains("fix: message ids carry the recovery attempt") == true)
        }

        /// `--bug` and `--fix` must match the profile: `up` refuses another profile's, `run` one
        /// whose profile no scenario of the run has (each reaches only its profile's scenarios).
        @Test func switchesAndFixesOfAnotherProfileAreRefused() async throws {
            let up = try await podsim(["up", "--fix", "dedup-after-purge"])
            #expect(up.status == 64)
            #expect(up.errors.contains("--fix dedup-after-purge applies to the hosted profile only (this cluster runs seed)"), "\(up.errors)")
            let upBug = try await podsim(["up", "--profile", "hosted", "--bug", "no-reclaim"])
            #expect(upBug.status == 64)
            #expect(upBug.errors.contains("--bug no-reclaim applies to the seed profile only (this cluster runs hosted)"), "\(upBug.errors)")
            let run = try await podsim(["run", fixture("escapes.yaml"), "--fix", "zombie-child-recovery"])
            #expect(run.status == 2)
            #expect(run.output.contains("no scenario of this run has the profile of --fix zombie-child-recovery (hosted)"), "\(run.output)")
            #expect(try await podsim(["run", fixture("escapes.yaml"), "--fix", "dedup-after-purg"]).status == 64)
        }

        /// Each scenario gets its own cluster (state dir, ports), so several run side by side.
        @Test func scenariosRunInParallelOnIsolatedClusters() async throws {
            let json = temporaryPath("parallel.json")
            defer { try? FileManager.default.removeItem(atPath: json) }
            let files = ["api-key-cross-pod", "session-rehoming", "dispatch-link-offline"].map { fixture("../../Scenarios/\($0).yaml") }
            let result = try await podsim(["run"] + files + ["--jobs", "3", "--keep", "--json", json])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("3 passed, 0 failed"))
            let report = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            guard case .array(let results)? = report["results"] else { throw SupportError("no results in \(report)") }
            let directories = results.compactMap { $0["stateDirectory"]?.stringValue }
            #expect(Set(directories).count == 3, "three clusters, three state directories (kept by --keep)")
            for directory in directories {
                #expect(FileManager.default.fileExists(atPath: directory + "/store.sqlite"))
                try? FileManager.default.removeItem(atPath: directory)
            }
        }

        @Test func runWithABugSwitchFailsTheScenarioThatGuardsIt() async throws {
            let scenarios = fixture("../../Scenarios/session-rehoming.yaml")
            let clean = try await podsim(["run", scenarios])
            #expect(clean.status == 0, "\(clean.output)")
            let buggy = try await podsim(["run", scenarios, "--bug", "pod-local-sessions"])
            for directory in keptStateDirectories(buggy.output) { try? FileManager.default.removeItem(atPath: directory) }
            #expect(buggy.status == 1)
            #expect(buggy.output.contains("[bug: pod-local-sessions]"))
            #expect(buggy.output.contains("expected: status 401 within 5s"), "\(buggy.output)")
        }
    }
}

extension EndToEnd {
    /// Repeating, running until a failure, and splitting a suite across machines.
    @Suite struct RepeatAndShard {
        @Test func theShardsListedCoverTheSuiteOnceEach() async throws {
            let whole = try await podsim(["run", "Scenarios/", "--list"], in: packageRoot)
            #expect(whole.status == 0)
            let files = whole.output.split(separator: "\n").map(String.init)
            #expect(files.count >= 45)
            #expect(files.allSatisfy { $0.hasSuffix(".yaml") })
            var listed: [String] = []
            for index in 1...4 {
                let shard = try await podsim(["run", "Scenarios/", "--list", "--shard", "\(index)/4"], in: packageRoot)
                #expect(shard.status == 0)
                listed += shard.output.split(separator: "\n").map(String.init)
            }
            #expect(listed.sorted() == files.sorted(), "the union of the shards is the suite")
            #expect(Set(listed).count == listed.count, "no scenario is in two shards")
            let prove = try await podsim(["prove", "Scenarios/", "--list", "--shard", "2/4"], in: packageRoot)
            #expect(prove.status == 0)
            #expect(prove.output.split(separator: "\n").count == files.count / 4 + (files.count % 4 >= 2 ? 1 : 0))
            let bad = try await podsim(["run", "Scenarios/", "--shard", "5/4"], in: packageRoot)
            #expect(bad.status != 0)
            #expect(bad.errors.contains("--shard: the shard must be between 1 and 4 (got 5)"))
        }

        @Test func repeatRunsEachScenarioAndReportsItsFailureRate() async throws {
            let junit = temporaryPath("repeat.xml")
            defer { try? FileManager.default.removeItem(atPath: junit) }
            let result = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--repeat", "2", "--junit", junit], in: packageRoot)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("cluster-smoke  2     2       0       0.0%"), "\(result.output)")
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains("name=\"cluster-smoke #1\"") && xml.contains("name=\"cluster-smoke #2\""))
            let bad = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--repeat", "0"], in: packageRoot)
            #expect(bad.status != 0)
            #expect(bad.errors.contains("--repeat must be between 1 and 10000"))
        }

        @Test func untilFailStopsAtTheFirstFailureAndKeepsItsState() async throws {
            let failing = try await podsim(["run", fixture("failing.yaml"), "--until-fail", "--repeat", "5"])
            #expect(failing.status == 1)
            #expect(failing.output.contains("failing failed on run 1 (after 0 passing runs); state kept in /"), "\(failing.output)")
            #expect(!failing.output.contains("failing #2"), "it stopped at the first failure")
            let state = try #require(keptStateDirectories(failing.output).first)
            defer { try? FileManager.default.removeItem(atPath: state) }
            #expect(FileManager.default.fileExists(atPath: state + "/store.sqlite"))

            let passing = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--until-fail", "--repeat", "2"], in: packageRoot)
            #expect(passing.status == 0)
            #expect(passing.output.contains("no failure in 2 runs of each scenario"))
        }
    }
}

extension EndToEnd {
    /// The CLI's conventions: a version, and the child roles hidden from help alike.
    @Suite struct CommandLineConventions {
        @Test func versionAndHelp() async throws {
            let version = try await podsim(["--version"])
            #expect(version.status == 0)
            #expect(version.output.hasPrefix("podsim "))
            let help = try await podsim(["--help"])
            #expect(help.status == 0)
            for visible in ["run", "validate", "prove", "timeline", "check", "bench", "bugs", "up"] {
                #expect(help.output.contains("\n  \(visible) "), "\(visible) is listed")
            }
            for hidden in ["pod", "mock-ai", "link-daemon"] {
                #expect(!help.output.contains("\n  \(hidden) "), "\(hidden) is a child role, not listed")
            }
            let runHelp = try await podsim(["run", "--help"])
            #expect(runHelp.output.contains("(default: \(ProcessInfo.processInfo.activeProcessorCount))"), "--jobs defaults to the cores")
        }

        /// Colour under a terminal (`script` gives the run one), never in a pipe or with NO_COLOR.
        @Test func colourOnATerminalOnly() async throws {
            let command = "\(try podsimBinary()) run Scenarios/cluster-smoke.yaml"
            let terminal = try await runProgram(
                "/usr/bin/env", ["-u", "NO_COLOR", "TERM=xterm", "script", "-qec", command, "/dev/null"], in: packageRoot)
            #expect(terminal.status == 0)
            #expect(terminal.output.contains("\u{1B}[32m1 passed\u{1B}[0m, 0 failed"), "\(terminal.output)")
            let noColor = try await runProgram(
                "/usr/bin/env", ["NO_COLOR=1", "TERM=xterm", "script", "-qec", command, "/dev/null"], in: packageRoot)
            #expect(noColor.status == 0)
            #expect(noColor.output.contains("1 passed, 0 failed") && !noColor.output.contains("\u{1B}["), "\(noColor.output)")
            let piped = try await podsim(["run", "Scenarios/cluster-smoke.yaml"], in: packageRoot)
            #expect(piped.output.contains("1 passed, 0 failed") && !piped.output.contains("\u{1B}["))
        }
    }
}

extension EndToEnd {
    /// `podsim validate` on a file with two mistakes names both in one run.
    @Suite struct EveryErrorAtOnce {
        @Test func bothMistakesAreReported() async throws {
            let result = try await podsim(["validate", fixture("invalid-steps.yaml")])
            #expect(result.status == 2)
            let lines = result.errors.split(separator: "\n")
            #expect(lines.count == 2, "\(result.errors)")
            #expect(lines.first?.hasSuffix("invalid-steps.yaml:3:5: error: unknown step 'sleep' (did you mean 'wait'?); expected one of: bootstrap, agent, thread, send, request, attach, detach, await, check, eventually, stable, kill, stop, start, pause, resume, restart, owner, link-daemon, bus, release, record, wait, parallel, repeat, within") == true)
            #expect(lines.last?.contains("invalid-steps.yaml:4:5: error: unknown step 'frobnicate'") == true)
        }

        @Test func schemaPrintsTheCommittedFile() async throws {
            let result = try await podsim(["schema"])
            #expect(result.status == 0)
            #expect(result.output == (try String(contentsOfFile: packageRoot.path + "/Scenarios/scenario.schema.json", encoding: .utf8)))
        }
    }
}
