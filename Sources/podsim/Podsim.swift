import ArgumentParser

/// The podsim command line: one subcommand per job; the child roles (`pod`, `mock-ai`,
/// `link-daemon`) are this same binary, re-executed by the coordinator.
@main
struct Podsim: AsyncParsableCommand {
    /// This build's version (`podsim --version`).
    static let version = "0.12.0"

    static let configuration = CommandConfiguration(
        commandName: "podsim",
        abstract: "Reproduce and prevent multi-pod bugs: a local cluster of pods sharing one SQLite run queue.",
        version: "podsim \(version)",
        subcommands: [Up.self, Run.self, Validate.self, Prove.self, Schema.self, TimelineCommand.self, CheckCommand.self, BenchCommand.self, Bugs.self, PodCommand.self, MockAICommand.self, LinkDaemonCommand.self])

    /// A child role started by the coordinator skips the parser (see `ChildRole`); everything
    /// else is parsed as usual.
    static func main() async {
        if let (role, config) = ChildRole.launch(Array(CommandLine.arguments.dropFirst())) {
            await role.run(config: config)
        } else {
            await main(nil)
        }
    }
}
