import Hummingbird
import PodsimModel
import PodsimStore

// The pod API's response bodies, encoded with the request context's encoder. The model module
// does not import Hummingbird, so the conformances live here.
extension PodAPI.Live: ResponseEncodable {}
extension PodAPI.Ready: ResponseEncodable {}
extension PodAPI.OrgCreated: ResponseEncodable {}
extension PodAPI.SessionView: ResponseEncodable {}
extension PodAPI.Created: ResponseEncodable {}
extension PodAPI.ThreadCreated: ResponseEncodable {}
extension PodAPI.ThreadView: ResponseEncodable {}
extension PodAPI.Accepted: ResponseEncodable {}
extension PodAPI.Cancelled: ResponseEncodable {}
extension PodAPI.QueuedTurns: ResponseEncodable {}
extension PodAPI.LinkView: ResponseEncodable {}
extension PodAPI.Links: ResponseEncodable {}
extension PodAPI.OK: ResponseEncodable {}

extension PodAPI.ThreadView {
    /// The thread as a profile shows it: the hosted fields only in `hosted`.
    init(_ summary: Store.ThreadSummary, profile: ServerProfile) {
        let hosted = profile == .hosted ? summary.thread.hosted : nil
        self.init(
            id: summary.thread.publicId, agentId: summary.thread.agentId, status: summary.thread.status.rawValue,
            runOwnerPod: summary.thread.runOwnerPod, sandboxProviderKind: summary.thread.sandboxProviderKind,
            partCount: summary.partCount, runCount: summary.runCount, sandboxCount: summary.sandboxCount,
            currentRun: summary.currentRun.map {
                Run(id: $0.id ?? 0, state: $0.state.rawValue, attempt: $0.attempt, ownerPod: $0.ownerPod, providerKind: $0.providerKind, error: $0.error)
            },
            fence: hosted?.fence, failureKind: hosted?.failureKind, failureReason: hosted?.failureReason,
            executorPod: profile == .hosted ? summary.executorPod : nil, gatePod: profile == .hosted ? summary.gatePod : nil,
            renderablePartCount: profile == .hosted ? summary.renderablePartCount : nil)
    }
}

extension PodAPI.LinkView {
    init(_ link: Link, at now: Int64) {
        self.init(
            id: link.id, userId: link.userId, url: link.url, capabilities: link.capabilities.split(separator: ",").map(String.init),
            ttlMs: link.ttlMs, live: link.isLive(at: now))
    }
}
