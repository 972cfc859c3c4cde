/// One of N machines' share of a suite (`--shard I/N`): the scenarios at positions I, I+N, I+2N, …
/// of the selection in path order. The shards of one selection are disjoint, their union is the
/// whole selection, and their sizes differ by at most one.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var count: Int

    /// The most shards a suite is split into; anything larger is a typo.
    public static let maximumCount = 1_000

    public init(index: Int, count: Int) throws(ShardError) {
        guard (1...Self.maximumCount).contains(count) else { throw ShardError("the shard count must be between 1 and \(Self.maximumCount) (got \(count))") }
        guard (1...count).contains(index) else { throw ShardError("the shard must be between 1 and \(count) (got \(index))") }
        self.index = index
        self.count = count
    }

    /// Reads `I/N`.
    public init(parsing text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardError("write the shard as I/N, e.g. 2/4 (got '\(text)')")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's elements of `items`, in their order.
    public func select<Item>(_ items: [Item]) -> [Item] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// A `--shard` that is not `I/N` with 1 ≤ I ≤ N.
public struct ShardError: Error, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension ScenarioSuite {
    /// The scenarios of `shard`.
    public func sharded(_ shard: Shard?) -> ScenarioSuite {
        guard let shard else { return self }
        return ScenarioSuite(scenarios: shard.select(scenarios))
    }
}
