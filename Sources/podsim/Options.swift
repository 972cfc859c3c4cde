import ArgumentParser
import PodsimModel
import PodsimPod

/// Timing flags of `up` (scenarios set theirs in their `cluster:` block).
struct TimingOptions: ParsableArguments {
    @Option(name: .customLong("lease-ms"), help: "Run lease length in milliseconds.")
    var leaseMillis: Int64 = PodTimings().leaseMillis
    @Option(name: .customLong("poll-ms"), help: "How often idle workers look for expired leases.")
    var pollMillis: Int64 = PodTimings().pollMillis
    @Option(name: .customLong("keepalive-ms"), help: "Interval between SSE keepalive comments.")
    var keepaliveMillis: Int64 = PodTimings().keepaliveMillis
    @Option(name: .customLong("drain-ms"), help: "Upper bound on a pod's graceful drain after SIGTERM.")
    var drainMillis: Int64 = PodTimings().drainMillis

    var timings: PodTimings {
        PodTimings(leaseMillis: leaseMillis, pollMillis: pollMillis, keepaliveMillis: keepaliveMillis, drainMillis: drainMillis)
    }

    func validate() throws {
        for (name, value) in [("lease-ms", leaseMillis), ("poll-ms", pollMillis), ("keepalive-ms", keepaliveMillis), ("drain-ms", drainMillis)]
        where !(1...86_400_000).contains(value) {
            throw ValidationError("--\(name) must be between 1 and 86400000 ms, a day (got \(value))")
        }
    }
}

extension ServerProfile: ExpressibleByArgument {}

extension BugSwitch: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Parses `KEY=VALUE`.
func parseAssignment(_ text: String, flag: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        throw ValidationError("\(flag) expects KEY=VALUE, got \"\(text)\"")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}
