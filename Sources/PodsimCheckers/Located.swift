import PodsimHistory

/// An event and its position in `history.events`, the position a violation points to.
struct Located: Sendable {
    let index: Int
    let event: HistoryEvent

    var t: Int64 { event.t }
    /// When the event's span closed (its `t` when it is not a span).
    var end: Int64 { event.end ?? event.t }
}

/// `1234.5 ms`: a time of the history in milliseconds since the cluster started.
func millis(_ nanos: Int64) -> String {
    let tenths = nanos / 100_000
    return "\(tenths / 10).\(abs(tenths % 10)) ms"
}
