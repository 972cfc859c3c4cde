import PodsimModel
import PodsimStore

/// The hosted profile's bus faults, written to the shared store so every pod sees them at once.
extension Cluster {
    /// Injects a fault and returns when it took effect.
    public func injectBusFault(_ fault: ControlAPI.BusFault) async throws -> Int64 {
        let store = try hostedStore()
        guard let kind = BusFaultKind(rawValue: fault.kind) else {
            throw ClusterError.invalidRequest(
                "unknown bus fault '\(fault.kind)'; expected \(BusFaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let pod = fault.pod, try info(pod).role != .pod { throw ClusterError.invalidRequest("\(pod) is not a pod") }
        if let millis = fault.forMs, !(1...BusFaultLimits.maxDurationMillis).contains(millis) {
            throw ClusterError.invalidRequest("forMs must be between 1 and \(BusFaultLimits.maxDurationMillis), got \(millis)")
        }
        if let count = fault.count, !(1...BusFaultLimits.maxCount).contains(count) {
            throw ClusterError.invalidRequest("count must be between 1 and \(BusFaultLimits.maxCount), got \(count)")
        }
        if kind.isCounted, fault.forMs != nil {
            throw ClusterError.invalidRequest("\(kind.rawValue) is used up by a count of operations; it takes count, not forMs")
        }
        if !kind.isCounted, fault.count != nil {
            throw ClusterError.invalidRequest("\(kind.rawValue) lasts a duration; it takes forMs (or nothing: until healed), not count")
        }
        let at = wallClockMillis()
        try await store.addBusFault(
            kind.rawValue, pod: fault.pod, durationMillis: fault.forMs, count: kind.isCounted ? fault.count ?? 1 : nil)
        return at
    }

    /// Clears every fault.
    public func healBus() async throws -> Int64 {
        let store = try hostedStore()
        let at = wallClockMillis()
        try await store.clearBusFaults()
        return at
    }

    /// Restarts the bus: the log survives, the duplicate window keeps only the ids still stored.
    public func restartBus() async throws -> Int64 {
        let store = try hostedStore()
        let at = wallClockMillis()
        try await store.restartBus()
        return at
    }

    private func hostedStore() throws -> Store {
        guard spec.profile == .hosted else {
            throw ClusterError.invalidState("bus", "bus faults need the hosted profile (this cluster runs \(spec.profile.rawValue))")
        }
        guard let store else { throw ClusterError.unavailable("the store is not open") }
        return store
    }
}
