/// One target from the issue, judged against a measured figure. Benchmarks report these;
/// nothing fails on them.
public struct TargetCheck: Codable, Sendable {
    public var name: String
    /// The target as written, e.g. `≤ 1000 ms`.
    public var target: String
    public var measured: Double
    public var unit: String
    public var met: Bool

    /// Every target whose section produced figures.
    static func judge(_ report: BenchReport) -> [TargetCheck] {
        var checks: [TargetCheck] = []
        func atMost(_ name: String, _ measured: Double, _ limit: Double, _ unit: String) {
            checks.append(TargetCheck(name: name, target: "≤ \(format(limit)) \(unit)", measured: measured, unit: unit, met: measured <= limit))
        }
        if let boot = report.boot {
            if let three = boot.row(pods: 3) { atMost("3 pods live (median boot)", three.bootMedianMs, 1000, "ms") }
            if let sixtyFour = boot.row(pods: 64) { atMost("64 pods live (median boot)", sixtyFour.bootMedianMs, 1000, "ms") }
        }
        if let delivery = report.delivery {
            atMost("cross-pod delivery p50", delivery.crossPod.p50, 2, "ms")
            atMost("cross-pod delivery p99", delivery.crossPod.p99, 5, "ms")
            atMost("cross-pod p50 over floor p50", delivery.p50OverFloor, 3, "×")
            atMost("cross-pod p99 over floor p99", delivery.p99OverFloor, 5, "×")
            checks.append(
                TargetCheck(
                    name: "delivery watchers got every chunk in order", target: "all \(delivery.watchers)",
                    measured: Double(delivery.watchersComplete), unit: "watchers", met: delivery.watchersComplete == delivery.watchers))
        }
        if let throughput = report.throughput {
            if let three = throughput.row(pods: 3) {
                checks.append(
                    TargetCheck(
                        name: "throughput with 3 pods", target: "≥ 500 runs/s", measured: three.runsPerSecond, unit: "runs/s",
                        met: three.runsPerSecond >= 500))
            }
            if let one = throughput.row(pods: 1), let eight = throughput.row(pods: 8) {
                checks.append(
                    TargetCheck(
                        name: "throughput 8 pods over 1 pod", target: "≥ 1 ×", measured: ratio(eight.runsPerSecond, one.runsPerSecond),
                        unit: "×", met: eight.runsPerSecond >= one.runsPerSecond))
            }
        }
        if let fanout = report.fanout {
            checks.append(
                TargetCheck(
                    name: "fan-out watchers got every chunk in order", target: "all \(fanout.watchers)",
                    measured: Double(fanout.watchersComplete), unit: "watchers", met: fanout.watchersComplete == fanout.watchers))
            atMost("fan-out peak RSS per pod", fanout.maxPeakMiB, 64, "MiB")
            atMost("fan-out delivery p99", fanout.latency.p99, 100, "ms")
        }
        if let memory = report.memory {
            if let marginal = memory.marginalPodPSSMiB { atMost("PSS per extra pod", marginal, 8, "MiB") }
        }
        if let scenario = report.scenario {
            atMost("scenario overhead (attach-cross-pod)", scenario.overhead, 1.15, "×")
        }
        return checks
    }
}
