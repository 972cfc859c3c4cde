/// The instant a history's `t = 0` stands for, on both clocks: events stamped with the shared
/// monotonic clock become `t` (ns since the origin) and `wall` (epoch ms).
public struct HistoryClock: Sendable, Equatable {
    public var originNanos: Int64
    public var originMillis: Int64

    public init(originNanos: Int64, originMillis: Int64) {
        self.originNanos = originNanos
        self.originMillis = originMillis
    }

    /// An event of `kind` that happened at `nanos` on the monotonic clock.
    public func event(_ kind: HistoryKind, at nanos: Int64) -> HistoryEvent {
        let t = nanos - originNanos
        return HistoryEvent(t: t, wall: originMillis + t / 1_000_000, kind: kind)
    }

    /// `nanos` on the monotonic clock as nanoseconds since the origin.
    public func t(_ nanos: Int64) -> Int64 { nanos - originNanos }
}
