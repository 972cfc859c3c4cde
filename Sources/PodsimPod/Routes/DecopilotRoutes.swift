import Foundation
import Hummingbird
import PodsimModel
import PodsimStore

/// The chat API: POST a message (dispatch + enqueue), attach to a thread's stream, cancel a run.
struct DecopilotRoutes {
    let context: PodContext
    let auth: Authenticator
    let worker: RunWorker
    let feeds: ChunkFeeds

    private struct Accepted: Encodable { var taskId: String }
    private struct Cancelled: Encodable {
        var cancelled: Bool
        var async: Bool?
    }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/:org/decopilot/threads/:id/messages") { request, requestContext in
            let id = try request.parameter("id", in: requestContext)
            try ThreadID.validate(id)
            let (org, caller) = try await auth.member(request, org: try request.parameter("org", in: requestContext))
            let body = try await decodeBody(MessagesRequest.self, from: request)
            try await postMessage(publicId: id, org: org, caller: caller, body: body)
            return jsonResponse(Accepted(taskId: id), status: .accepted)
        }

        router.get("/api/:org/decopilot/threads/:id/stream") { request, requestContext in
            let id = try request.parameter("id", in: requestContext)
            try ThreadID.validate(id)
            let (org, _) = try await auth.member(request, org: try request.parameter("org", in: requestContext))
            guard let thread = try await context.store.thread(orgId: org.id, publicId: id) else { throw PodError.notFound("Thread not found") }
            return try await stream(thread: thread)
        }

        router.post("/api/:org/decopilot/cancel/:id") { request, requestContext in
            let id = try request.parameter("id", in: requestContext)
            try ThreadID.validate(id)
            let (org, _) = try await auth.member(request, org: try request.parameter("org", in: requestContext))
            guard let thread = try await context.store.thread(orgId: org.id, publicId: id) else { throw PodError.notFound("Thread not found") }
            return try await cancel(threadId: thread.id)
        }
    }

    // MARK: POST /messages

    /// Enqueues the run; the task id the caller gets back is the thread's id.
    private func postMessage(publicId: String, org: Org, caller: Caller, body: MessagesRequest) async throws {
        if let bodyThread = body.threadId, bodyThread != publicId {
            throw PodError.badRequest("thread_id in the body (\(bodyThread)) does not match the URL (\(publicId))")
        }
        guard let message = body.lastUserMessage else {
            throw PodError.badRequest("messages must contain a user message")
        }
        let text = message.text
        guard !message.id.isEmpty else { throw PodError.badRequest("message id must not be empty") }
        guard let thread = try await context.store.thread(orgId: org.id, publicId: publicId) else { throw PodError.notFound("Thread not found") }
        let threadId = thread.id
        guard let agent = try await context.store.agent(id: body.agent.id), agent.orgId == org.id else {
            throw PodError.notFound("Agent not found")
        }
        var requested: SandboxKind?
        if let raw = body.sandboxProviderKind {
            guard let kind = SandboxKind(rawValue: raw) else {
                throw PodError.badRequest("Unknown sandboxProviderKind \"\(raw)\"; expected one of \(SandboxKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            requested = kind
        }
        let dispatcher = Dispatcher(context: context)
        let pinned = requested ?? thread.sandboxProviderKind.flatMap(SandboxKind.init(rawValue:))
        let kind = if let pinned { pinned } else { try await dispatcher.defaultKind(userId: caller.userId) }
        if context.configuration.has(.eagerEnsureVm) {
            do {
                _ = try await context.sandboxes.provision(kind: kind, userId: caller.userId, threadId: threadId, runId: 0)
            } catch let error as SandboxError {
                throw PodError.internalError(error.description)
            }
        }
        try await dispatcher.resolveDispatchTarget(kind: kind, userId: caller.userId)
        let stored = ChatMessage(id: message.id, threadId: threadId, role: "user", text: text, createdAt: wallClockMillis())
        let enqueued = try await context.store.enqueueRun(
            threadId: threadId, orgId: org.id, userId: caller.userId, message: stored, providerKind: kind.rawValue)
        if enqueued.created { context.bus.publish(.runsAvailable) }
    }

    // MARK: GET /stream

    private func stream(thread: ChatThread) async throws -> Response {
        if context.configuration.has(.attachReexecutes), thread.status == .inProgress, thread.runOwnerPod != context.name {
            await worker.reexecute(threadId: thread.id)
        }
        let subscription = try await feeds.subscribe(threadId: thread.id)
        let replay: [StoredChunk]
        if context.configuration.has(.attachDeliverNew) {
            let executingHere = await worker.executingRun(threadId: thread.id) != nil
            replay = executingHere ? try await context.store.replayOfRunningAttempt(threadId: thread.id, upToID: subscription.cursor) : []
        } else {
            replay = try await context.store.replayOfRunningAttempt(threadId: thread.id, upToID: subscription.cursor)
        }
        let feeds = feeds
        let threadId = thread.id
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            do {
                try await writer.write(Self.frames(replay, prefix: ": attached\n\n"))
                for await event in subscription.events {
                    switch event {
                    case .chunks(let chunks): try await writer.write(Self.frames(chunks))
                    case .keepalive: try await writer.write(ByteBuffer(string: SSE.keepalive))
                    }
                }
                await feeds.unsubscribe(threadId: threadId, id: subscription.id)
                try await writer.finish(nil)
            } catch {
                await feeds.unsubscribe(threadId: threadId, id: subscription.id)
                throw error
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func frames(_ chunks: [StoredChunk], prefix: String = "") -> ByteBuffer {
        var buffer = ByteBuffer(string: prefix)
        for chunk in chunks { buffer.writeString(SSE.frame(chunk.body)) }
        return buffer
    }

    // MARK: POST /cancel

    private func cancel(threadId: String) async throws -> Response {
        if context.configuration.has(.cancelLocalOnly) {
            if let runId = await worker.executingRun(threadId: threadId) {
                try await context.store.flagCancel(runId: runId)
                await worker.abort(runId: runId, reason: .cancelled)
            }
            return jsonResponse(Cancelled(cancelled: true))
        }
        switch try await context.store.requestCancel(threadId: threadId) {
        case .nothingToCancel:
            return jsonResponse(Cancelled(cancelled: false))
        case .cancelledQueued:
            return jsonResponse(Cancelled(cancelled: true))
        case .requested(let runId, _):
            if await worker.abort(runId: runId, reason: .cancelled) {
                return jsonResponse(Cancelled(cancelled: true))
            }
            context.bus.publish(.cancel(runId: runId))
            return jsonResponse(Cancelled(cancelled: true, async: true), status: .accepted)
        }
    }
}

/// Reference section 4: which provider kind a run gets, and whether it can be dispatched.
struct Dispatcher {
    let context: PodContext

    /// `resolveDefaultSandboxProviderKind`: the user's live link wins, then `STUDIO_SANDBOX_RUNNER`,
    /// then `remote-user`.
    func defaultKind(userId: String) async throws -> SandboxKind {
        if try await context.store.liveLink(userId: userId) != nil { return .remoteUser }
        return context.configuration.sandboxRunner ?? .remoteUser
    }

    /// `resolveDispatchTarget`: only `remote-user` without a live link is refused (409).
    func resolveDispatchTarget(kind: SandboxKind, userId: String) async throws {
        if kind == .remoteUser, try await context.store.liveLink(userId: userId) == nil {
            throw PodError.linkOffline
        }
    }
}
