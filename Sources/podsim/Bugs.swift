import ArgumentParser
import PodsimModel
import PodsimPod

/// `podsim bugs`: the historical bug switches, one line each, with the profile each belongs to and
/// the real fix's pull request and date.
struct Bugs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the historical bug switches (all off by default).")

    func run() throws {
        let width = BugSwitch.allCases.map(\.rawValue.count).max() ?? 0
        for bug in BugSwitch.allCases {
            let profile = "[\(bug.profile.rawValue)]".padding(toLength: 9, withPad: " ", startingAt: 0)
            let fix = "\(bug.fix.pullRequest ?? "PR unknown"), \(bug.fix.date)".padding(toLength: 28, withPad: " ", startingAt: 0)
            print(bug.rawValue.padding(toLength: width + 2, withPad: " ", startingAt: 0) + profile + fix + bug.summary)
        }
    }
}
