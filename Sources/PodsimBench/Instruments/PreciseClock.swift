#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock epoch milliseconds with sub-millisecond precision.
///
/// Pods stamp chunk rows with whole wall-clock milliseconds (`wallClockMillis`); the bench reads
/// the same clock (CLOCK_REALTIME) with nanosecond resolution so only one side of a latency
/// carries the millisecond truncation.
func preciseWallClockMillis() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1_000_000
}

/// The best estimate of the instant a pod stamped `millis` (a truncated wall-clock millisecond):
/// the middle of that millisecond, which makes the truncation error ±0.5 ms and unbiased.
func midpoint(ofMillisecond millis: Int64) -> Double {
    Double(millis) + 0.5
}

/// Milliseconds elapsed since `start` on the monotonic clock.
func millis(since start: ContinuousClock.Instant) -> Double {
    milliseconds(ContinuousClock.now - start)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
