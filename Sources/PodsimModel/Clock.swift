import Foundation

/// Wall-clock milliseconds since the Unix epoch: the one time base every process of a cluster
/// shares (leases, chunk timestamps, `stamp` hints).
public func wallClockMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}
