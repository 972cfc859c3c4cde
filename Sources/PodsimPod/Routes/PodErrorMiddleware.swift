import Hummingbird

/// The outermost middleware: whatever a route or another middleware throws leaves the pod as a
/// `PodError`, so every failure has a status and an `{"error": …}` body, never an empty 500;
/// a failure no route expected is logged too.
struct PodErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let podError = PodError(error)
            if podError.status == .internalServerError, !(error is PodError) {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            }
            throw podError
        }
    }
}
