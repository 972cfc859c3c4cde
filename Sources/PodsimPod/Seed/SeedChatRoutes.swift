import Foundation
import Hummingbird
import PodsimModel
import PodsimStore

/// The seed profile's chat API under `/api/:org/decopilot`: POST a message (dispatch + enqueue), attach to a
/// thread's stream, cancel a run. Every route names a thread the caller's org owns.
struct SeedChatRoutes {
    let pod: PodContext
    let authenticator: Authenticator
    let worker: RunWorker
    let feeds: ChunkFeeds

    func routes() -> RouteCollection<PodRequestContext> {
        let routes = RouteCollection(context: PodRequestContext.self)
            .add(middleware: ThreadIDMiddleware())
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, accepted: [.apiKey, .session]))
            .add(middleware: OrgMembershipMiddleware(store: pod.store))
            .add(middleware: ThreadMiddleware(store: pod.store))
        routes.post("threads/:id/messages", use: postMessage)
        routes.get("threads/:id/stream", use: stream)
        routes.post("cancel/:id", use: cancel)
        return routes
    }

    // MARK: POST /messages

    /// Enqueues the run; the task id the caller gets back is the thread's id.
    func postMessage(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.Accepted> {
        let caller = try context.requireCaller()
        let org = try context.requireOrg()
        let thread = try context.requireThread()
        let body = try await request.decode(as: MessagesRequest.self, context: context)
        if let bodyThread = body.threadId, bodyThread != thread.publicId {
            throw PodError.badRequest("thread_id in the body (\(bodyThread)) does not match the URL (\(thread.publicId))")
        }
        guard let message = body.lastUserMessage else {
            throw PodError.badRequest("messages must contain a user message")
        }
        guard !message.id.isEmpty else { throw PodError.badRequest("message id must not be empty") }
        guard let agent = try await pod.store.agent(id: body.agent.id), agent.orgId == org.id else {
            throw PodError.notFound("Agent not found")
        }
        var pinned = thread.sandboxProviderKind.flatMap(SandboxKind.init(rawValue:))
        if let raw = body.sandboxProviderKind {
            guard let kind = SandboxKind(rawValue: raw) else {
                throw PodError.badRequest("Unknown sandboxProviderKind \"\(raw)\"; expected one of \(SandboxKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            pinned = kind
        }
        let dispatcher = Dispatcher(pod: pod)
        let kind: SandboxKind
        if let pinned {
            kind = pinned
        } else {
            kind = try await dispatcher.defaultKind(userId: caller.userId)
        }
        if pod.configuration.has(.eagerEnsureVm) {
            _ = try await pod.sandboxes.provision(kind: kind, userId: caller.userId, threadId: thread.id, runId: 0)
        }
        try await dispatcher.resolveDispatchTarget(kind: kind, userId: caller.userId)
        let stored = ChatMessage(id: message.id, threadId: thread.id, role: "user", text: message.text, createdAt: wallClockMillis())
        let enqueued = try await pod.store.enqueueRun(
            threadId: thread.id, orgId: org.id, userId: caller.userId, message: stored, providerKind: kind.rawValue)
        if enqueued.created {
            // Wake one pod, not all: this one when it can take the run, else one of its peers
            // (a busy pod claims again as soon as one of its runs ends).
            if await worker.hasFreeWorker {
                await worker.doorbell.ring()
            } else {
                pod.bus.publishToOnePeer(.runsAvailable)
            }
        }
        return EditedResponse(status: .accepted, response: PodAPI.Accepted(taskId: thread.publicId))
    }

    // MARK: GET /stream

    func stream(_ request: Request, context: PodRequestContext) async throws -> Response {
        let thread = try context.requireThread()
        if pod.configuration.has(.attachReexecutes), thread.status == .inProgress, thread.runOwnerPod != pod.name {
            await worker.reexecute(threadId: thread.id)
        }
        let subscription = try await feeds.subscribe(threadId: thread.id)
        let replay: [StoredChunk]
        if pod.configuration.has(.attachDeliverNew) {
            let executingHere = await worker.executingRun(threadId: thread.id) != nil
            replay = executingHere ? try await pod.store.replayOfRunningAttempt(threadId: thread.id, upToID: subscription.cursor) : []
        } else {
            replay = try await pod.store.replayOfRunningAttempt(threadId: thread.id, upToID: subscription.cursor)
        }
        var preamble = ByteBuffer(string: ": attached\n\n")
        preamble.writeImmutableBuffer(ChunkLog.frames(replay))
        return feeds.eventStream(threadId: thread.id, subscription: subscription, preamble: preamble)
    }

    // MARK: POST /cancel

    func cancel(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.Cancelled> {
        let threadId = try context.requireThread().id
        if pod.configuration.has(.cancelLocalOnly) {
            if let runId = await worker.executingRun(threadId: threadId) {
                try await pod.store.flagCancel(runId: runId)
                await worker.abort(runId: runId, reason: .cancelled)
            }
            return EditedResponse(response: PodAPI.Cancelled(cancelled: true))
        }
        switch try await pod.store.requestCancel(threadId: threadId) {
        case .nothingToCancel:
            return EditedResponse(response: PodAPI.Cancelled(cancelled: false))
        case .cancelledQueued:
            return EditedResponse(response: PodAPI.Cancelled(cancelled: true))
        case .requested(let runId, _):
            if await worker.abort(runId: runId, reason: .cancelled) {
                return EditedResponse(response: PodAPI.Cancelled(cancelled: true))
            }
            pod.bus.publish(.cancel(runId: runId))
            return EditedResponse(status: .accepted, response: PodAPI.Cancelled(cancelled: true, async: true))
        }
    }
}

/// Reference section 4: which provider kind a run gets, and whether it can be dispatched.
struct Dispatcher {
    let pod: PodContext

    /// `resolveDefaultSandboxProviderKind`: the user's live link wins, then `STUDIO_SANDBOX_RUNNER`,
    /// then `remote-user`.
    func defaultKind(userId: String) async throws -> SandboxKind {
        if try await pod.store.liveLink(userId: userId) != nil { return .remoteUser }
        return pod.configuration.sandboxRunner ?? .remoteUser
    }

    /// `resolveDispatchTarget`: only `remote-user` without a live link is refused (409).
    func resolveDispatchTarget(kind: SandboxKind, userId: String) async throws {
        if kind == .remoteUser, try await pod.store.liveLink(userId: userId) == nil {
            throw PodError.linkOffline
        }
    }
}
