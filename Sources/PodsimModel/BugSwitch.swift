/// A historical multi-pod bug the simulator can bring back, one switch each.
///
/// Every switch is off by default (today's fixed behaviour); a cluster turns one on only when
/// asked explicitly (`--bug ID` or a scenario's `cluster.bugs`), and a pod running with one on
/// says so in its log.
public enum BugSwitch: String, CaseIterable, Sendable, Codable, Comparable, ProfileBoundSwitch {
    public static let noun = "bug switch"
    public static let idNoun = "bug id"

    case eagerEnsureVm = "eager-ensure-vm"
    case attachDeliverNew = "attach-deliver-new"
    case attachReexecutes = "attach-reexecutes"
    case resumeWithoutPurge = "resume-without-purge"
    case noReclaim = "no-reclaim"
    case drainLosesRuns = "drain-loses-runs"
    case doubleProjection = "double-projection"
    case gapAfterChurn = "gap-after-churn"
    case podLocalSessions = "pod-local-sessions"
    case cancelLocalOnly = "cancel-local-only"
    case splitBrainWrites = "split-brain-writes"
    case staleProgressReap = "stale-progress-reap"
    case noLivenessHeartbeat = "no-liveness-heartbeat"
    case noHostedCap = "no-hosted-cap"
    case silentParkedRun = "silent-parked-run"
    case parkInsideStep = "park-inside-step"
    case unsafeThreadId = "unsafe-thread-id"
    case legacyLinkDispatch = "legacy-link-dispatch"
    case publishNoRetry = "publish-no-retry"
    case consumerOpenNoRetry = "consumer-open-no-retry"
    case streamReplicas3 = "stream-replicas-3"
    case swallowedChildStart = "swallowed-child-start"
    case unclassifiedFailures = "unclassified-failures"
    case postTimeFence = "post-time-fence"
    case projectionSkippedWhenTerminal = "projection-skipped-when-terminal"
    case purgeOnRunFailed = "purge-on-run-failed"
    case gapAfterDoneFatal = "gap-after-done-fatal"
    case nondeterministicPartIds = "nondeterministic-part-ids"
    case sigtermNoGateHandoff = "sigterm-no-gate-handoff"
    case ownerClaimCas = "owner-claim-cas"

    /// What goes wrong when the switch is on.
    public var summary: String {
        switch self {
        case .eagerEnsureVm:
            "POST /messages provisions the sandbox before enqueueing: 500 \"No link daemon registered for user …\""
        case .attachDeliverNew:
            "an attach on a pod that does not execute the run delivers only new chunks and misses chunk-1"
        case .attachReexecutes:
            "an attach on a non-owner pod re-executes the run: a second provider call and duplicate parts"
        case .resumeWithoutPurge:
            "a reclaimed run keeps the dead attempt's chunks: a late watcher sees chunk-1 twice"
        case .noReclaim:
            "a run whose owner died is never reclaimed: the thread stays in_progress"
        case .drainLosesRuns:
            "SIGTERM exits without releasing leases: runs wait for the full lease to resume"
        case .doubleProjection:
            "parts are persisted again after the terminal write: the part count grows after completed"
        case .gapAfterChurn:
            "a reclaimed attempt continues the dead attempt's sequence: the run fails with \"missing seq 1\""
        case .podLocalSessions:
            "sessions are cached per pod: a sign-out on one pod is not seen by the others"
        case .cancelLocalOnly:
            "cancel only acts on the receiving pod: a run executing elsewhere keeps going"
        case .splitBrainWrites:
            "a paused owner keeps writing after it lost its lease (no fencing)"
        case .staleProgressReap:
            "a new turn keeps the previous turn's last_progress_at: the reaper fails a healthy run `stall` before its first chunk"
        case .noLivenessHeartbeat:
            "no data-liveness chunk while the model is silent: a live but quiet run is failed `liveness`"
        case .noHostedCap:
            "no per-pod cap on hosted children: every queued child runs at once on the pod that dequeues it"
        case .silentParkedRun:
            "a child waiting for capacity publishes no waiting-capacity frames: its projector fails it `liveness`"
        case .parkInsideStep:
            "children dequeue past the cap and park on that pod: a pod with free slots cannot take them"
        case .unsafeThreadId:
            "a thread id with '.', '*', '>' or whitespace is accepted by POST and /stream (an invalid or wildcard subject)"
        case .legacyLinkDispatch:
            "POST accepts harnessId/sandboxProviderKind: user-desktop dispatches to a link daemon, 409 link_unavailable"
        case .publishNoRetry:
            "a transient JetStream publish error (leader election) kills the run: publishRawChunk failed, no terminal frame"
        case .consumerOpenNoRetry:
            "one transient consumer-create error: /stream answers 204, or the projector's step fails the run"
        case .streamReplicas3:
            "the stream cannot be created on a one-node bus (R3): every /stream answers 204, every run fails publishRawChunk failed"
        case .swallowedChildStart:
            "a failed child start is swallowed: the gate tails an empty subject until liveness, holding the thread's next turn"
        case .unclassifiedFailures:
            "every failure is recorded failure_kind error (\"Run ended with an error\"), a provider 429 included"
        case .postTimeFence:
            "the fence is minted at POST: a message queued behind a running turn overwrites its fence, so that turn's reply is never projected"
        case .projectionSkippedWhenTerminal:
            "the child's reactor writes completed at FINISH and the consume step skips a terminal run: a fast turn completes with 0 renderable parts"
        case .purgeOnRunFailed:
            "the reactor purges the subject on RUN_FAILED: a recovered projector sees a gap, and the failed run keeps no error part"
        case .gapAfterDoneFatal:
            "a gap or idle timeout after the run settled is fatal and unguarded: a completed run replayed by its recovered gate flips to failed"
        case .nondeterministicPartIds:
            "step part ids are not deterministic: a re-projection by a recovered gate duplicates the step's parts"
        case .sigtermNoGateHandoff:
            "SIGTERM leaves the pod's gates PENDING: nobody projects the turn and later turns on the thread never start"
        case .ownerClaimCas:
            "a run claims run_owner_pod: recovered on another pod, the child fails RunClaimError and the run never resumes"
        }
    }

    /// The server profile whose code the switch changes; a scenario may only turn on its own profile's switches.
    public var profile: ServerProfile {
        switch self {
        case .eagerEnsureVm, .attachDeliverNew, .attachReexecutes, .resumeWithoutPurge, .noReclaim, .drainLosesRuns,
            .doubleProjection, .gapAfterChurn, .podLocalSessions, .cancelLocalOnly, .splitBrainWrites:
            .seed
        case .staleProgressReap, .noLivenessHeartbeat, .noHostedCap, .silentParkedRun, .parkInsideStep, .unsafeThreadId,
            .legacyLinkDispatch,
            .publishNoRetry, .consumerOpenNoRetry, .streamReplicas3, .swallowedChildStart, .unclassifiedFailures,
            .postTimeFence, .projectionSkippedWhenTerminal, .purgeOnRunFailed, .gapAfterDoneFatal, .nondeterministicPartIds,
            .sigtermNoGateHandoff, .ownerClaimCas:
            .hosted
        }
    }

    /// The real fix: its pull request (nil when the catalogue does not know it) and date.
    public var fix: (pullRequest: String?, date: String) {
        switch self {
        case .eagerEnsureVm: ("#3434", "2026-06")
        case .attachDeliverNew, .attachReexecutes, .resumeWithoutPurge, .noReclaim, .drainLosesRuns, .doubleProjection,
            .gapAfterChurn, .podLocalSessions, .cancelLocalOnly, .splitBrainWrites:
            (nil, "before 2026-06")
        case .staleProgressReap: ("#4027", "2026-06-19")
        case .noLivenessHeartbeat: ("#4409", "2026-07-09")
        case .noHostedCap: ("#4575", "2026-07-15")
        case .silentParkedRun: ("#5411", "2026-07-30")
        case .parkInsideStep: ("#6261", "2026-08-19")
        case .unsafeThreadId: ("#5262", "2026-07-27")
        case .legacyLinkDispatch: ("#5570/#6520/#6527", "2026-08-25")
        case .publishNoRetry: ("#6597", "2026-08-26")
        case .consumerOpenNoRetry: ("#6605, #6614", "2026-08-26")
        case .streamReplicas3: ("#6625, #6679", "2026-08-28")
        case .swallowedChildStart: (nil, "before 2026-09")
        case .unclassifiedFailures: ("#6153", "2026-08-17")
        case .postTimeFence: (nil, "before 2026-08-25 (#6520)")
        case .projectionSkippedWhenTerminal: ("#4196", "2026-06-30")
        case .purgeOnRunFailed: ("#4337", "2026-07-06")
        case .gapAfterDoneFatal: ("#5039", "2026-07-22")
        case .nondeterministicPartIds: ("#4570", "2026-07-15")
        case .sigtermNoGateHandoff: ("#4236/#4241", "2026-07-01")
        case .ownerClaimCas: ("#3917", "2026-06-15")
        }
    }

    public static func < (lhs: BugSwitch, rhs: BugSwitch) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
