import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock milliseconds since the Unix epoch: the one time base every process of a cluster
/// shares (leases, chunk timestamps, `stamp` hints).
public func wallClockMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}

/// Nanoseconds on the system's monotonic clock. Every process of a cluster reads the same clock,
/// so store events, deliveries and faults recorded by different processes order exactly in a
/// run's history.
public func monotonicNanos() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}
