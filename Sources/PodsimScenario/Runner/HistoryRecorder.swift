import PodsimHistory
import PodsimModel

/// What the runner did while a scenario ran, as history events in the order they were recorded:
/// its calls, attaches, faults and steps. The store's events, the watchers' deliveries and the
/// provider's calls are read once the steps are over (`HistoryAssembly`).
actor HistoryRecorder {
    nonisolated let clock: HistoryClock
    private(set) var events: [HistoryEvent] = []

    init(clock: HistoryClock) {
        self.clock = clock
    }

    func add(_ event: HistoryEvent) {
        events.append(event)
    }

    /// A new event of `kind` happening now.
    nonisolated func now(_ kind: HistoryKind) -> HistoryEvent {
        clock.event(kind, at: monotonicNanos())
    }

    /// Closes `event` as a span ending now and records it.
    func close(_ event: HistoryEvent) {
        var event = event
        event.end = clock.t(monotonicNanos())
        events.append(event)
    }
}
