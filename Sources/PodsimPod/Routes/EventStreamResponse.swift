import Hummingbird
import PodsimModel

extension ThreadFeeds {
    /// One watcher's SSE response, for either profile: `preamble` first (its replay), then every
    /// event of its subscription (the feed renders each batch's frames once for all its
    /// watchers), until the feed closes (the pod shuts down) or the client leaves; either way the
    /// subscription ends.
    nonisolated func eventStream(threadId: String, subscription: Subscription, preamble: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            do {
                try await writer.write(preamble)
                for await event in subscription.events {
                    switch event {
                    case .chunks(_, let frames): try await writer.write(frames)
                    case .keepalive: try await writer.write(keepaliveFrame)
                    }
                }
                await self.unsubscribe(threadId: threadId, id: subscription.id)
                try await writer.finish(nil)
            } catch {
                await self.unsubscribe(threadId: threadId, id: subscription.id)
                throw error
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// The keepalive comment, allocated once for every stream.
private let keepaliveFrame = ByteBuffer(string: SSE.keepalive)
