import ArgumentParser
import Foundation
import PodsimCheckers
import PodsimHistory
import PodsimServer
import PodsimTimeline

/// Reads a `history.jsonl`, exiting 2 with the line that is wrong when it is not one.
private func readHistory(_ path: String) throws -> History {
    do {
        return try History(contentsOf: path)
    } catch {
        FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
        throw ScenarioExit.invalid
    }
}

/// `podsim timeline`: any recorded history as one self-contained HTML page.
struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Render a recorded history (history.jsonl) as a self-contained HTML timeline.",
        discussion: """
            The checkers run on the history first, so what they find is highlighted. Writes to \
            standard output unless --output is given. Exit status 2 if the file is not a history.
            """)

    @Argument(help: "A history.jsonl written by `podsim run`.") var history: String
    @Option(name: .shortAndLong, help: "Write the page here instead of standard output.") var output: String?

    func run() throws {
        let recorded = try readHistory(history)
        let html = Timeline.html(recorded, verdicts: Checkers.run(recorded))
        if let output {
            try html.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            FileHandle.standardOutput.write(Data(html.utf8))
        }
    }
}

/// `podsim check`: the checkers' verdicts on any recorded history.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run every checker on a recorded history (history.jsonl) and print the verdicts.",
        discussion: "Exit status: 0 no checker failed, 1 a checker failed, 2 the file is not a history.")

    @Argument(help: "A history.jsonl written by `podsim run`.") var history: String

    func run() throws {
        let recorded = try readHistory(history)
        let verdicts = Checkers.run(recorded)
        for verdict in verdicts {
            logLine("\(verdict.validity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\(verdict.checker.rawValue): \(verdict.property)")
            if let note = verdict.note { logLine("        (\(note))") }
            for violation in verdict.violations { logLine("        - \(violation.message)") }
        }
        if verdicts.contains(where: { $0.validity == .fail }) { throw ScenarioExit.failed }
    }
}
