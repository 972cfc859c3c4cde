/// The human-readable rendering of a report: one titled table per section, then the targets.
extension BenchReport {
    public var table: String {
        var blocks = [
            "podsim bench (\(plan) plan, \(profile) profile, \(machine.build) build, \(machine.cores) cores, \(format(machine.memoryGiB)) GiB), "
                + "\(format(seconds)) s, started \(startedAt)"
        ]
        if let boot { blocks.append(Self.render(boot)) }
        if let delivery { blocks.append(Self.render(delivery)) }
        if let throughput { blocks.append(Self.render(throughput)) }
        if let fanout { blocks.append(Self.render(fanout)) }
        if let memory { blocks.append(Self.render(memory)) }
        if let scenario { blocks.append(Self.render(scenario)) }
        if !targets.isEmpty {
            var checks = TextTable("target", "wanted", "measured", "met")
            for check in targets {
                checks.add(check.name, check.target, "\(format(check.measured)) \(check.unit)", check.met ? "met" : "MISSED")
            }
            blocks.append("Targets\n" + checks.rendered)
        }
        for (section, error) in errors.sorted(by: { $0.key < $1.key }) {
            blocks.append("\(section) FAILED: \(error)")
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }

    private static func render(_ boot: BootFigures) -> String {
        var table = TextTable("pods", "boot median ms", "floor median ms", "ratio", "boots ms")
        for row in boot.rows {
            table.add(
                "\(row.pods)", format(row.bootMedianMs), format(row.floorMedianMs), format(row.ratio),
                row.bootMs.map(format).joined(separator: " "))
        }
        return "Boot: up to all-live; floor: spawn pods+1 bare `podsim bugs` processes and reap them\n" + table.rendered
    }

    private static func render(_ delivery: DeliveryFigures) -> String {
        var table = TextTable("path", "p50 ms", "p99 ms", "max ms", "samples")
        func add(_ name: String, _ distribution: Distribution) {
            table.add(name, format(distribution.p50), format(distribution.p99), format(distribution.max), "\(distribution.count)")
        }
        add("owner pod (\(delivery.ownerPod))", delivery.owner)
        add("cross-pod", delivery.crossPod)
        add("paced 1 ms apart: owner pod", delivery.pacedOwner)
        add("paced 1 ms apart: cross-pod", delivery.pacedCrossPod)
        add("floor: commit + round trip", delivery.floor)
        add("floor: commit", delivery.floorCommit)
        add("floor: round trip", delivery.floorRoundTrip)
        return "Delivery: owner append to watcher, zero-delay run of \(delivery.chunks) chunks appended in \(format(delivery.appendSpanMs)) ms; "
            + "\(delivery.watchersComplete)/\(delivery.watchers) watchers (both runs) complete and in order; "
            + "cross-pod over floor: p50 \(format(delivery.p50OverFloor))×, p99 \(format(delivery.p99OverFloor))×\n" + table.rendered
            + problems(delivery.problems)
    }

    private static func render(_ throughput: ThroughputFigures) -> String {
        var table = TextTable(
            "pods", "runs", "failed", "seconds", "runs/s", "202→first chunk loaded p50 ms", "p99 ms", "one at a time p50 ms", "p99 ms")
        for row in throughput.rows {
            table.add(
                "\(row.pods)", "\(row.runs)", "\(row.failed)", format(row.seconds), format(row.runsPerSecond),
                format(row.acceptedToFirstChunk.p50), format(row.acceptedToFirstChunk.p99),
                format(row.idleAcceptedToFirstChunk.p50), format(row.idleAcceptedToFirstChunk.p99))
        }
        return "Queue throughput: slow:5x0 runs, one thread each, \(throughput.window) in flight "
            + "(then \(throughput.rows.first.map { $0.idleAcceptedToFirstChunk.count } ?? 0) posted one at a time)\n" + table.rendered
    }

    private static func render(_ fanout: FanoutFigures) -> String {
        var table = TextTable("pod", "watchers", "RSS idle MiB", "RSS attached MiB", "KiB per watcher", "peak RSS MiB")
        for pod in fanout.pods {
            table.add(pod.pod, "\(pod.watchers)", format(pod.idleMiB), format(pod.attachedMiB), format(pod.perWatcherKiB), format(pod.peakMiB))
        }
        return "Fan-out: \(fanout.watchers) watchers over 3 pods on one \(fanout.chunks)-chunk run (text chunks \(fanout.chunkIntervalMs) ms apart); "
            + "\(fanout.watchersComplete) complete and in order; "
            + "latency p50 \(format(fanout.latency.p50)) ms, p99 \(format(fanout.latency.p99)) ms, max \(format(fanout.latency.max)) ms "
            + "over \(fanout.latency.count) deliveries\n" + table.rendered + problems(fanout.problems)
    }

    private static func render(_ memory: MemoryFigures) -> String {
        var table = TextTable("process", "RSS MiB", "anonymous MiB", "file-backed MiB", "PSS MiB")
        func add(_ name: String, _ process: ProcessMemory) {
            table.add(name, format(process.rssMiB), format(process.anonymousMiB), format(process.fileMiB), format(process.proportionalMiB))
        }
        add("coordinator (podsim up)", memory.coordinator)
        add("mock provider", memory.mockProvider)
        for (index, pod) in memory.pods.enumerated() { add("idle pod-\(index + 1)", pod) }
        var text = "Memory: an idle \(memory.pods.count)-pod `podsim up`, 1 s after it reported ready\n" + table.rendered
        if let totals = memory.totalPSS, let marginal = memory.marginalPodPSSMiB {
            text += "\ntotal PSS: " + totals.map { "\($0.pods) pods \(format($0.totalMiB)) MiB" }.joined(separator: ", ")
                + "; \(format(marginal)) MiB per extra pod"
        }
        return text
    }

    private static func render(_ scenario: ScenarioFigures) -> String {
        var table = TextTable("wall s", "provider s", "overhead", "deliberate waits s", "overhead without them")
        table.add(
            format(scenario.wallSeconds), format(scenario.inherentSeconds), format(scenario.overhead) + "×",
            format(scenario.deliberateWaitSeconds), format(scenario.overheadExcludingWaits) + "×")
        return "Scenario overhead: \(scenario.file)\n" + table.rendered
    }

    private static func problems(_ problems: [String]) -> String {
        problems.isEmpty ? "" : "\n" + problems.map { "  ! \($0)" }.joined(separator: "\n")
    }
}
