import Testing

@testable import PodsimScenario

/// `--shard I/N`: deterministic, disjoint shares whose union is the whole selection.
@Suite struct ShardTests {
    @Test func theShardsOfASelectionAreDisjointAndCoverIt() throws {
        let items = Array(0..<45)
        for count in [1, 2, 3, 4, 7, 45, 60] {
            let shares = try (1...count).map { try Shard(index: $0, count: count).select(items) }
            #expect(shares.flatMap { $0 }.sorted() == items, "\(count) shards cover the selection")
            #expect(Set(shares.flatMap { $0 }).count == items.count, "\(count) shards are disjoint")
            let sizes = shares.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1, "\(count) shards are balanced: \(sizes)")
        }
    }

    @Test func aShardIsTheSameOnEveryMachine() throws {
        let shard = try Shard(parsing: "2/3")
        #expect(shard.select(["a", "b", "c", "d", "e"]) == ["b", "e"])
        #expect(shard.select(["a", "b", "c", "d", "e"]) == shard.select(["a", "b", "c", "d", "e"]))
        #expect(shard.description == "2/3")
    }

    @Test func badShardsAreRefusedWithTheReason() {
        for (text, reason) in [
            ("0/3", "between 1 and 3"), ("4/3", "between 1 and 3"), ("1/0", "between 1 and 1000"), ("1/1001", "between 1 and 1000"),
            ("2", "I/N"), ("a/b", "I/N"), ("1/2/3", "I/N"), ("", "I/N"), ("-1/2", "between 1 and 2"),
        ] {
            do {
                _ = try Shard(parsing: text)
                Issue.record("'\(text)' was accepted")
            } catch {
                #expect(error.description.contains(reason), "'\(text)': \(error)")
            }
        }
    }
}
