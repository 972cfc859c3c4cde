import Foundation
import Hummingbird
import NIOCore
import PodsimModel
import PodsimStore

/// The hosted profile's chat API under `/api/:org/decopilot`: POST a turn (pin the runtime,
/// persist the user message, enqueue its gate), tail a thread's subject, cancel a thread's run,
/// list and cancel the turns waiting in a thread's queue.
///
/// The caller is checked first; POST then reads its body before it looks at the thread, as the
/// real handler validates the request before it loads anything.
struct HostedChatRoutes {
    let pod: PodContext
    let authenticator: Authenticator
    let runs: HostedRuns
    let feeds: SubjectFeeds

    /// A user POST runs at the interactive priority (`runPriority`).
    static let interactivePriority = 10

    func routes() -> RouteCollection<PodRequestContext> {
        let routes = RouteCollection(context: PodRequestContext.self)
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, accepted: [.apiKey, .session]))
            .add(middleware: OrgMembershipMiddleware(store: pod.store))
        routes.post("threads/:id/messages", use: postMessage)
        let thread = routes.group()
            .add(middleware: ThreadIDMiddleware(acceptsUnsafeIDs: pod.configuration.has(.unsafeThreadId)))
            .add(middleware: ThreadMiddleware(store: pod.store))
        thread.get("threads/:id/stream", use: stream)
        thread.post("cancel/:id", use: cancel)
        thread.get("queue/:id", use: queue)
        thread.post("queue/:id/cancel/:workflowId", use: cancelQueued)
        return routes
    }

    // MARK: POST /messages

    /// Accepts a turn: everything it writes lands in one transaction, then the pods are woken.
    func postMessage(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.Accepted> {
        let caller = try context.requireCaller()
        let org = try context.requireOrg()
        let body = try HostedPostRequest(
            try await Self.json(request, context: context), acceptsLegacySelectors: pod.configuration.has(.legacyLinkDispatch))
        let publicId = try context.parameter("id")
        if body.threadIds.contains(where: { $0 != publicId }) {
            throw PodError.badRequest("threadId in URL does not match thread_id in body")
        }
        if !pod.configuration.has(.unsafeThreadId) { try ThreadID.validate(publicId) }
        guard let thread = try await pod.store.thread(orgId: org.id, publicId: publicId) else {
            throw PodError.notFound("Thread not found")
        }
        try Self.requireOwner(thread, caller)
        guard let agent = try await pod.store.agent(id: thread.agentId), agent.orgId == org.id else {
            throw PodError.conflict("Thread agent is unavailable in this organization")
        }
        try Self.requireHostedRuntime(thread)
        guard HostedPostRequest.tiers.contains(body.tier) else {
            throw PodError.badRequest("No model is configured for tier \"\(body.tier)\" in this organization")
        }
        if let version = thread.hosted.messageStorageVersion, version != 2 {
            throw PodError.conflict("Thread uses legacy message storage and cannot accept new messages")
        }
        guard body.message.role == "user" else { throw PodError.badRequest("No user message found in input") }
        if body.legacyProviderKind == "user-desktop" {
            // Before #5570 a desktop selector dispatched to the user's link daemon; hosted has none.
            throw PodError.conflict("link_unavailable: No link daemon registered for this user")
        }
        let accepted = try await pod.store.acceptHostedTurn(turn(body.message, thread: thread, userId: caller.userId, branch: body.branch))
        if accepted.publishedWaitingFrame { pod.bus.publish(.chunks(threadId: thread.id)) }
        if accepted.created { pod.bus.publish(.runsAvailable) }
        return EditedResponse(status: .accepted, response: PodAPI.Accepted(taskId: thread.publicId))
    }

    /// The turn a POST accepts: the user message, its text parts keyed `<thread>:<message>:<seq>`
    /// and a trailing `finish` anchor, one millisecond apart so they sort in order.
    private func turn(_ message: HostedPostRequest.Message, thread: ChatThread, userId: String, branch: String?) -> Store.HostedTurn {
        let id = message.id ?? UUID().uuidString.lowercased()
        let now = wallClockMillis()
        let bodies = message.texts.map { (type: "text", body: $0) } + [(type: "finish", body: "{}")]
        let parts = bodies.enumerated().map { seq, part in
            MessagePart(
                threadId: thread.id, runId: nil, role: "user", type: part.type, body: part.body, pod: nil, createdAt: now + Int64(seq),
                key: "\(thread.id):\(id):\(seq)", messageId: id)
        }
        return Store.HostedTurn(
            message: ChatMessage(id: id, threadId: thread.id, role: "user", text: message.texts.joined(separator: "\n"), createdAt: now),
            orgId: thread.orgId, userId: userId, userParts: parts, branch: branch, priority: Self.interactivePriority,
            waitingFrame: HostedFrames.stage(.waitingRunner), pod: pod.name,
            postTimeFence: pod.configuration.has(.postTimeFence) ? UUID().uuidString.lowercased() : nil)
    }

    /// The body as JSON; anything else is a plain error in the real handler (`c.req.json()`), so a 500.
    private static func json(_ request: Request, context: PodRequestContext) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw PodError.badRequest("Request body too large (limit \(context.maxUploadSize >> 20) MiB)")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw PodError.internalError("Request body is not valid JSON")
        }
    }

    // MARK: GET /stream

    /// The live tail: a thread in progress replays its subject from the first stored message, any
    /// other only gets what is published from now on. Done markers are swallowed and the stream
    /// never ends on its own (only when the pod shuts down or the client leaves). A degraded pod,
    /// or a tail consumer that fails to open after its retries, answers 204 with no body.
    func stream(_ request: Request, context: PodRequestContext) async throws -> Response {
        let thread = try context.requireThread()
        try Self.requireHostedRuntime(thread)
        do {
            try await pod.openConsumer()
        } catch is BusError {
            return Response(status: .noContent)
        }
        let subscription = try await feeds.subscribe(threadId: thread.id)
        let replay =
            thread.status == .inProgress
            ? try await pod.store.retainedSubjectMessages(threadId: thread.id).filter { $0.id <= subscription.cursor } : []
        return feeds.eventStream(threadId: thread.id, subscription: subscription, preamble: SubjectLog.frames(replay))
    }

    // MARK: POST /cancel

    /// Always 202 once the thread has a hosted run: the durable flag, the workflow cancels, then an
    /// abort here or a broadcast to the pod that runs the child; with no local abort, a thread
    /// the request found in progress is force-failed, scoped to that turn's fence.
    func cancel(_ request: Request, context: PodRequestContext) async throws -> EditedResponse<PodAPI.Cancelled> {
        let thread = try Self.requireHostedRunOwner(context)
        try await cancelRun(of: thread)
        return EditedResponse(status: .accepted, response: PodAPI.Cancelled(cancelled: true, async: true))
    }

    /// `cancelActiveThreadRun`, on the thread as the request found it.
    private func cancelRun(of thread: ChatThread) async throws {
        try await pod.store.requestHostedCancel(threadId: thread.id)
        try await pod.store.cancelWorkflows(threadId: thread.id, fence: thread.hosted.fence)
        if await !runs.cancel(threadId: thread.id) {
            pod.bus.publish(.cancelThread(threadId: thread.id))
            if thread.status == .inProgress {
                try await pod.store.markRunFailed(threadId: thread.id, kind: nil, reason: nil, fence: thread.hosted.fence)
            }
        }
    }

    // MARK: The thread's queue

    func queue(_ request: Request, context: PodRequestContext) async throws -> PodAPI.QueuedTurns {
        let thread = try Self.requireHostedRunOwner(context)
        return PodAPI.QueuedTurns(
            items: try await pod.store.queuedGates(threadId: thread.id).map {
                PodAPI.QueuedTurns.Item(id: $0.id, messageId: $0.messageId, priority: $0.priority, createdAt: $0.createdAt)
            })
    }

    /// Cancels one turn: a waiting one leaves the queue with its user message's parts; the running
    /// head gets the whole cancel; anything else is a 404 with an empty body.
    func cancelQueued(_ request: Request, context: PodRequestContext) async throws -> Response {
        let thread = try Self.requireHostedRunOwner(context)
        let workflowId = try context.parameter("workflowId")
        if try await !pod.store.cancelQueuedGate(threadId: thread.id, id: workflowId) {
            guard let head = try await pod.store.workflow(id: workflowId), head.threadId == thread.id, head.kind == .gate,
                head.status == .pending
            else { return Response(status: .notFound) }
            try await cancelRun(of: thread)
        }
        var response = try context.responseEncoder.encode(PodAPI.Cancelled(cancelled: true), from: request, context: context)
        response.status = .accepted
        return response
    }

    // MARK: Checks every route shares

    /// The thread of a cancel or queue call: the caller created it and it has a hosted run.
    private static func requireHostedRunOwner(_ context: PodRequestContext) throws -> ChatThread {
        let thread = try context.requireThread()
        try requireOwner(thread, try context.requireCaller())
        guard thread.hosted.harnessId != nil else { throw PodError.conflict("This chat has not started a hosted run") }
        try requireHostedRuntime(thread)
        return thread
    }

    /// Only the thread's creator may run or cancel it; threads from before the hosted store have no
    /// creator, and any member of their org may.
    private static func requireOwner(_ thread: ChatThread, _ caller: Caller) throws {
        if let createdBy = thread.hosted.createdBy, createdBy != caller.userId { throw PodError.forbidden("Not authorized") }
    }

    /// `assertHostedRuntime`: an unpinned thread passes, a decopilot thread on the agent sandbox
    /// passes, and so does the legacy decopilot pin on `user-desktop`.
    private static func requireHostedRuntime(_ thread: ChatThread) throws {
        let harness = thread.hosted.harnessId
        if let harness, harness != "decopilot" {
            throw PodError.conflict("This coding-agent chat can only run in the Studio desktop app")
        }
        if let kind = thread.sandboxProviderKind, kind != SandboxKind.agentSandbox.rawValue,
            !(harness == "decopilot" && kind == "user-desktop")
        {
            throw PodError.conflict("This chat is pinned to an unsupported desktop runtime")
        }
    }
}
