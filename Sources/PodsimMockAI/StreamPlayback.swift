import Hummingbird
import ServiceLifecycle

/// Why a stream ended without its finish frame; thrown from the body writer so the server closes
/// the connection and the client sees an incomplete body.
enum StreamInterruption: Error {
    /// A `cut:` hint.
    case cut
    /// The provider is shutting down.
    case shuttingDown
}

extension ChatCompletionScript {
    /// How long a `cut:` stream lingers after its last chunk before it drops the connection.
    static let lingerBeforeCut = Duration.milliseconds(50)

    /// The `text/event-stream` body that plays this script. Pauses and gate waits give up as soon
    /// as the server starts shutting down, so slow or held streams never delay shutdown.
    /// `ended` runs when the body finished or failed.
    func responseBody(gates: Gates, ended: @escaping @Sendable () async -> Void) -> ResponseBody {
        ResponseBody { writer in
            do {
                try await write(to: &writer, gates: gates)
            } catch {
                await ended()
                throw error
            }
            await ended()
        }
    }

    private func write(to writer: inout any ResponseBodyWriter, gates: Gates) async throws {
        try await play { step in
            try Self.checkStillServing()
            switch step {
            case .send(let text):
                try await writer.write(ByteBuffer(string: text))
            case .pause(let milliseconds):
                try await Self.unlessShuttingDown { try await Task.sleep(for: .milliseconds(milliseconds)) }
            case .waitForGate(let name):
                try await Self.unlessShuttingDown { await gates.wait(for: name) }
            case .dropConnection:
                // Throwing closes the connection at once, dropping writes the channel has not
                // flushed yet; a short linger lets what was sent reach the client first.
                try await Self.unlessShuttingDown { try await Task.sleep(for: Self.lingerBeforeCut) }
                throw StreamInterruption.cut
            }
        }
        try await writer.finish(nil)
    }

    /// Runs a wait, cancelling it the moment a graceful shutdown starts.
    private static func unlessShuttingDown(_ operation: @escaping @Sendable () async throws -> Void) async throws {
        try checkStillServing()
        do {
            try await cancelWhenGracefulShutdown { try await operation() }
        } catch is CancellationError {
            throw StreamInterruption.shuttingDown
        }
        try checkStillServing()
    }

    private static func checkStillServing() throws {
        if Task.isShuttingDownGracefully { throw StreamInterruption.shuttingDown }
        try Task.checkCancellation()
    }
}
