import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// How long a podsim server waits for a client: a request must arrive in full (head and body)
/// within `request` of the connection opening, and the next one within `idle` of the previous
/// response ending. Long responses (SSE streams) are never cut: the clock stops once a request's
/// last byte is in. Without these bounds a local client that trickles bytes (slowloris) could hold
/// a server's sockets forever.
public struct RequestDeadlines: Sendable {
    public var request: TimeAmount
    public var idle: TimeAmount

    /// Ten seconds for a first request; 75 s between requests on a kept-alive connection, above
    /// the idle timeouts of podsim's own HTTP clients so they always close an idle connection first.
    public static let standard = RequestDeadlines(request: .seconds(10), idle: .seconds(75))

    public init(request: TimeAmount, idle: TimeAmount) {
        self.request = request
        self.idle = idle
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with `RequestDeadlines`: the server every podsim process runs.
    public static func podsim(deadlines: RequestDeadlines = .standard) -> HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(deadlines)]))
    }
}

/// Closes a connection whose next request is not complete in time (see `RequestDeadlines`).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadlines: RequestDeadlines
    private var timer: Scheduled<Void>?
    /// Requests read in full whose response has not ended yet.
    private var awaitingResponse = 0

    init(_ deadlines: RequestDeadlines) { self.deadlines = deadlines }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, after: deadlines.request) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, after: deadlines.request)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            awaitingResponse += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            awaitingResponse = max(awaitingResponse - 1, 0)
            if awaitingResponse == 0 { arm(context, after: deadlines.idle) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, after limit: TimeAmount) {
        disarm()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { context.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// Gives the router's bare errors (an unknown route's 404, a wrong method) a JSON body that
/// names the method and path; `makeError` builds it in the server's own error shape.
public struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let makeError: @Sendable (HTTPResponse.Status, String) -> any Error

    public init(makeError: @escaping @Sendable (HTTPResponse.Status, String) -> any Error) {
        self.makeError = makeError
    }

    /// For servers whose errors are Hummingbird's `{"error":{"message":…}}`.
    public init() {
        self.init { status, message in HTTPError(status, message: message) }
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.body == nil && [.notFound, .methodNotAllowed].contains(error.status) {
            throw makeError(error.status, "\(error.status.reasonPhrase): no route for \(request.method) \(request.uri.path)")
        }
    }
}
