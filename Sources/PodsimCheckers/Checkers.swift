import PodsimHistory

/// Every checker podsim runs on a history, in `CheckerName` order.
public enum Checkers {
}
