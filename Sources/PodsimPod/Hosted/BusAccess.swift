import Foundation
import PodsimModel
import PodsimServer
import PodsimStore

/// A bus operation that failed for good (after its retries), worded as the real server logs it.
struct BusFailure: Error, CustomStringConvertible {
    let description: String
}

extension PodContext {
    /// Attempts of a publish or a consumer open (#6597, #6605, #6614).
    static let busAttempts = 6

    /// Opens a consumer on the bus (a `/stream` tail or a projector), retrying a transient
    /// failure; throws the last `BusError`. A pod with no JetStream handle (a `degrade` fault, or
    /// a stream that could not be created at boot: `stream-replicas-3`) fails at once.
    func openConsumer() async throws {
        try await withBusRetry(attempts: configuration.has(.consumerOpenNoRetry) ? 1 : Self.busAttempts) {
            if configuration.has(.streamReplicas3) { throw BusError.unavailable }
            let faults = try await store.activeBusFaults(pod: name)
            if faults.contains(BusFaultKind.degrade.rawValue) { throw BusError.unavailable }
            if faults.contains(BusFaultKind.failConsumerOpen.rawValue),
                try await store.takeBusFault(BusFaultKind.failConsumerOpen.rawValue, pod: name)
            {
                throw BusError.noResponders
            }
        }
    }

    /// Runs `operation` up to `attempts` times while it throws a transient `BusError`, backing off
    /// from `publishRetryBaseMillis`, doubling up to 16×, each delay jittered by ±25 % (jitter 0.5).
    func withBusRetry<T: Sendable>(attempts: Int, _ operation: () async throws -> T) async throws -> T {
        var delay = Double(configuration.hosted.publishRetryBaseMillis)
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as BusError where error.isTransient && attempt < attempts {
                logLine("\(name): bus \(error) (attempt \(attempt) of \(attempts)); retrying")
                try await Task.sleep(for: .milliseconds(Int64(delay * Double.random(in: 0.75...1.25))))
                delay = min(delay * 2, Double(configuration.hosted.publishRetryBaseMillis) * 16)
                attempt += 1
            }
        }
    }
}
