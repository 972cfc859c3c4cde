import ArgumentParser
import PodsimModel
import PodsimPod

/// `podsim bugs`: the historical bug switches, one line each, with the profile each belongs to and
/// the real fix's pull request and date; then the open bugs the real server still has, with
/// their candidate fixes (`--fix`).
struct Bugs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the historical bug switches (all off by default) and the open bugs' candidate fixes.")

    func run() throws {
        let width = (BugSwitch.allCases.map(\.rawValue.count) + OpenBug.allCases.map(\.rawValue.count)).max() ?? 0
        for bug in BugSwitch.allCases {
            let fix = "\(bug.fix.pullRequest ?? "PR unknown"), \(bug.fix.date)".padding(toLength: 28, withPad: " ", startingAt: 0)
            print(bug.rawValue.padding(toLength: width + 2, withPad: " ", startingAt: 0) + Self.profile(bug.profile) + fix + bug.summary)
        }
        print("")
        print("Open bugs (the real server still has them; off = as it does today, --fix ID = a candidate fix):")
        for bug in OpenBug.allCases {
            let reference = bug.reference.padding(toLength: 28, withPad: " ", startingAt: 0)
            let indent = String(repeating: " ", count: width + 2 + 9 + 28)
            print(bug.rawValue.padding(toLength: width + 2, withPad: " ", startingAt: 0) + Self.profile(bug.profile) + reference + bug.summary)
            print(indent + "fix: " + bug.candidateFix)
        }
    }

    private static func profile(_ profile: ServerProfile) -> String {
        "[\(profile.rawValue)]".padding(toLength: 9, withPad: " ", startingAt: 0)
    }
}
