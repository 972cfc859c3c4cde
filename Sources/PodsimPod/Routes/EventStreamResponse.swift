import Hummingbird
import PodsimModel

extension ThreadFeeds {
    /// One watcher's SSE response, for either profile: `preamble` first (its replay), then every
    /// event of its subscription, each batch of entries rendered by `frames`, until the feed
    /// closes (the pod shuts down) or the client leaves; either way the subscription ends.
    nonisolated func eventStream(
        threadId: String, subscription: Subscription, preamble: ByteBuffer,
        frames: @escaping @Sendable ([Log.Entry]) -> ByteBuffer
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            do {
                try await writer.write(preamble)
                for await event in subscription.events {
                    switch event {
                    case .chunks(let entries): try await writer.write(frames(entries))
                    case .keepalive: try await writer.write(ByteBuffer(string: SSE.keepalive))
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
