import Foundation
import PodsimClient
import PodsimCluster
import PodsimHistory
import PodsimModel
import PodsimStore

/// Builds a run's history from its four sources: what the runner recorded (calls, faults,
/// steps), what each watcher received, what the pods journaled in the store, and the mock
/// provider's call log. Store and provider events name threads by the store's id; the history
/// names them as the API does.
struct HistoryAssembly {
    let header: HistoryHeader
    let clock: HistoryClock
    let profile: String
    private let cluster: any ClusterHandle
    private let storePath: String?
    private var store: Store?
    /// The last journal row written before this run.
    private let journalStart: Int64
    private var journal: [JournalEntry] = []
    private var publicThreadIds: [String: String] = [:]

    init(scenario: Scenario, cluster: any ClusterHandle, bugs: [String], fixes: [String], clock: HistoryClock) async {
        self.cluster = cluster
        self.clock = clock
        storePath = cluster.storeFile
        journalStart = cluster.journalStart
        profile = scenario.profile.rawValue
        header = HistoryHeader(
            scenario: scenario.name, file: scenario.file, profile: profile, pods: scenario.cluster.pods, bugs: bugs, fixes: fixes,
            processes: await cluster.processList().map(\.name), startedAt: clock.originMillis)
    }

    /// The history so far, with the provider's calls when `provider`. Reads only the journal
    /// rows added since the last call.
    mutating func history(run: ScenarioRun, provider: Bool = true) async -> History {
        await readJournal()
        let callers = Dictionary(await run.workload.allCallers.map { ($0.org.userId, $0.name) }) { first, _ in first }
        var events = await run.recorder.events
        events += await deliveries(run.workload)
        events += journal.map { entry in
            var event = event(entry)
            if event.kind == .sessionCreated || event.kind == .sessionRevoked { event.caller = entry.detail.flatMap { callers[$0] } }
            return event
        }
        if provider { events += await providerCalls() }
        return History(header: header, events: events)
    }

    // MARK: The store's journal

    private mutating func readJournal() async {
        do {
            guard let storePath else { return }
            if store == nil { store = try await Store.open(at: storePath, clock: wallClockMillis) }
            let added = try await store!.journal(afterID: journal.last?.id ?? journalStart)
            journal += added
            if added.contains(where: { $0.threadId.map { publicThreadIds[$0] == nil } ?? false }) {
                for row in try await store!.query(#"SELECT "id", coalesce("publicId", "id") AS "publicId" FROM "thread""#) {
                    if let id = row["id"] ?? nil, let publicId = row["publicId"] ?? nil { publicThreadIds[id] = publicId }
                }
            }
        } catch {
            // A store that cannot be read leaves the history without store events; the checkers
            // that need them answer `unknown`.
        }
    }

    private func event(_ entry: JournalEntry) -> HistoryEvent {
        var event = clock.event(HistoryKind(entry.kind.rawValue), at: entry.at)
        event.process = entry.pod
        event.thread = entry.threadId.map { publicThreadIds[$0] ?? $0 }
        event.message = entry.messageId
        event.run = entry.run
        event.attempt = entry.attempt
        event.seq = entry.seq
        event.id = entry.chunkId
        event.chunk = entry.chunkType
        event.delta = entry.delta
        event.data = entry.body
        event.state = entry.state
        event.workflow = entry.workflow
        event.count = entry.count
        if entry.kind == .runFinished { event.error = entry.detail }
        return event
    }

    // MARK: Watchers

    private func deliveries(_ workload: Workload) async -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        for named in await workload.allWatchers {
            let watcher = named.watcher
            var attach = clock.event(.attach, at: await watcher.attachStartedNanos)
            attach.watcher = named.name
            attach.caller = named.caller
            attach.process = named.process
            attach.thread = named.thread
            attach.status = await watcher.status
            attach.end = await watcher.headNanos.map(clock.t)
            if attach.status == nil { attach.error = await watcher.failure }
            events.append(attach)
            for frame in await watcher.frames {
                var delivery = clock.event(.delivery, at: frame.receivedNanos)
                delivery.watcher = named.name
                delivery.process = named.process
                delivery.thread = named.thread
                delivery.data = frame.data
                delivery.id = frame.id
                let chunk = try? JSONDecoder().decode(UIChunk.self, from: Data(frame.data.utf8))
                delivery.chunk = chunk?.type
                if case .textDelta(_, let delta) = chunk { delivery.delta = delta }
                if let id = frame.id, let parsed = ChunkID.parse(id, profile: profile) {
                    delivery.run = parsed.run
                    delivery.attempt = parsed.attempt
                    delivery.seq = parsed.seq
                }
                events.append(delivery)
            }
            if let ended = await watcher.endedNanos {
                var detach = clock.event(.detach, at: ended)
                detach.watcher = named.name
                detach.process = named.process
                detach.thread = named.thread
                detach.reason = await watcher.endReason?.rawValue
                detach.error = await watcher.failure
                events.append(detach)
            }
        }
        return events
    }

    // MARK: The provider

    private func providerCalls() async -> [HistoryEvent] {
        guard let calls = try? await MockAIControlClient(url: await cluster.mockAIURL).calls() else { return [] }
        return calls.map { call in
            var event = clock.event(.providerCall, at: call.startedNanos)
            event.process = "mock-ai"
            event.target = call.pod
            event.thread = call.threadId.map { publicThreadIds[$0] ?? $0 }
            event.run = call.run
            event.attempt = call.attempt
            event.step = call.step
            event.status = call.status
            event.end = call.endedNanos.map(clock.t)
            return event
        }
    }
}
