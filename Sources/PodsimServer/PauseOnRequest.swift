#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import ServiceLifecycle

/// A child's end of the coordinator's `pause`: asked with `requestSignal`, the process first brings
/// itself to a quiet point (`prepare`, e.g. every store connection out of SQLite), then stops
/// itself with SIGSTOP, and once continued undoes the preparation. A SIGSTOP from outside can
/// land anywhere, holding SQLite's write lock included, which would freeze every process that
/// shares the store; a real database keeps a frozen client's locks to the rows it touched.
public struct PauseOnRequest: Service {
    /// The signal the coordinator asks with.
    public static let requestSignal = SIGUSR1
    /// How long the process takes at most to reach its quiet point before it stops anyway.
    public static let preparationLimit: Duration = .seconds(2)
    /// A request acted on later than this (the process was frozen meanwhile, e.g. by the
    /// coordinator's own SIGSTOP after it gave up waiting) is dropped rather than stopping a
    /// process that was since resumed.
    public static let staleAfter: Duration = .seconds(4)

    /// Makes a request that arrives before the service exists harmless (the signal's default
    /// action ends the process); the coordinator then stops the process itself.
    public static func ignoreUntilListening() {
        signal(Self.requestSignal, SIG_IGN)
    }

    /// Brings the process to its quiet point within the given time and returns what undoes it.
    public typealias Prepare = @Sendable (Duration) async -> @Sendable () -> Void

    private let name: String
    private let prepare: Prepare
    private let requests: SignalRequests

    /// Starts listening for the signal at once (before the service runs), so a request that
    /// arrives while the process is still starting is kept, not fatal.
    public init(name: String, prepare: @escaping Prepare) {
        self.name = name
        self.prepare = prepare
        self.requests = SignalRequests(Self.requestSignal)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await received in requests.stream {
                if ContinuousClock.now - received > Self.staleAfter { continue }
                let undo = await prepare(Self.preparationLimit)
                if ContinuousClock.now - received <= Self.staleAfter {
                    logLine("\(name): pausing (SIGSTOP) with the store at rest")
                    // To this thread, not the process: the caller stops before `raise` returns, where a
                    // process-directed stop may let it run on (and release the hold) until another
                    // thread takes the signal.
                    raise(SIGSTOP)
                    logLine("\(name): resumed")
                } else {
                    logLine("\(name): dropped a pause request that went stale")
                }
                undo()
            }
        }
        requests.cancel()
    }
}

/// A signal's arrivals as a stream of instants, the signal's default action switched off.
private final class SignalRequests: Sendable {
    let stream: AsyncStream<ContinuousClock.Instant>
    private nonisolated(unsafe) let source: any DispatchSourceSignal

    init(_ number: Int32) {
        let (stream, continuation) = AsyncStream.makeStream(of: ContinuousClock.Instant.self)
        self.stream = stream
        signal(number, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "podsim.signal.\(number)"))
        source.setEventHandler { continuation.yield(ContinuousClock.now) }
        source.setCancelHandler { continuation.finish() }
        source.resume()
    }

    func cancel() {
        source.cancel()
    }
}
