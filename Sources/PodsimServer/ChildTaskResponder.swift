import Hummingbird

/// Answers every request from a child task of the connection's task, so that the async frames a
/// request's handling needs are freed as soon as its response is built.
///
/// A Swift task keeps every allocator slab it ever grew to until the task ends, and Hummingbird
/// serves a connection from one task for as long as the connection lives. Handling a request
/// (middlewares, store reads, JSON) grows that task's slabs to tens of KiB; an SSE stream then
/// keeps them for as long as its watcher stays, which made per-watcher memory dominate a pod
/// with thousands of watchers. In a child task, that memory goes back when the child ends and
/// the connection's own task only keeps the shallow frames that write the response.
public struct ChildTaskResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: Sendable {
    let base: Base

    public func respond(to request: Request, context: Base.Context) async throws -> Response {
        try await withThrowingTaskGroup(of: Response.self) { group in
            group.addTask { try await base.respond(to: request, context: context) }
            guard let response = try await group.next() else { preconditionFailure("the child task added above is gone") }
            return response
        }
    }
}

/// Builds a `ChildTaskResponder` around what `base` builds (a router, say).
public struct ChildTaskResponderBuilder<Base: HTTPResponderBuilder>: HTTPResponderBuilder where Base.Responder.Context: Sendable {
    let base: Base

    public init(_ base: Base) { self.base = base }

    public func buildResponder() -> ChildTaskResponder<Base.Responder> { ChildTaskResponder(base: base.buildResponder()) }
}
