import PodsimHistory

/// Every checker podsim runs on a history, in `CheckerName` order.
public enum Checkers {
    public static let all: [any Checker] = [
        DeliveryChecker(), CrossPodChecker(), TerminationChecker(), SingleExecutionChecker(), PartsChecker(), FencingChecker(),
        CancelChecker(), NoServerErrorsChecker(), SessionsChecker(),
    ]

    /// One verdict per checker, in `CheckerName` order.
    public static func run(_ history: History, bounds: CheckerBounds = .init()) -> [Verdict] {
        all.map { $0.check(history, bounds: bounds) }
    }
}
