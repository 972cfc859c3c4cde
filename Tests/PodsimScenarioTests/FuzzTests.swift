import Foundation
import Testing

@testable import PodsimScenario

/// SplitMix64: a tiny generator with a fixed seed, so every run makes the same mutants and a
/// failure can be reproduced from its mutant number.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Mutates the shipped scenarios and fixtures the way a careless or hostile author might, and
/// requires `podsim validate`'s own entry point to accept each mutant or reject it with errors
/// that name file:line:column. A crash kills the test process; the mutant that caused it is left
/// in the temporary directory the test names.
@Suite struct FuzzTests {
    static let mutants = 400

    /// Values that broke, or could break, the parser or the runner after it.
    static let hostileValues: [String] = [
        "-1", "0", "nan", "inf", "-inf", ".nan", "日", "*a", "&a x", "&a", "*", "${", "${s", "${s.orgId.next.next}", "${}",
        "${ x }", "${uuid.x}", "}", "null", "~", "[", "]", "{", "\"", "'", "|", ">", "!!binary AA==", "!tag x", "? x", "- x",
        "%YAML 1.1", "---", "...", "#", "\u{0}", "\u{1B}", "\u{FEFF}", "\u{E000}", "\u{202E}", "a: b: c", "[a, *b]",
        "{x: &y 1, z: *y}", String(repeating: "x", count: 5000), String(repeating: "${x}", count: 2000),
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        String(repeating: "{a: ", count: 80) + "1" + String(repeating: "}", count: 80),
        String(repeating: "- ", count: 300) + "x",
    ]
    /// Put where a duration was written.
    static let hostileDurations = [
        "1e19ms", "1e300s", "1e16m", "0x10s", "0ms", "0.1ms", "-1s", "infs", "nanms", "1441m", "+1s", ".5s",
        "99999999999999999999999999999ms",
    ]
    /// Put where a whole number was written.
    static let hostileNumbers = [
        "-1", "0", "1.5", "1e400", "0x10", "日", "99999999999999999999999999", "9223372036854775807", "-9223372036854775808",
    ]
    static func shippedFiles() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        return try ["Scenarios", "Tests/Fixtures"].flatMap { directory in
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(directory).path)
                .filter { $0.hasSuffix(".yaml") }
                .sorted()
                .map { root.appendingPathComponent(directory).appendingPathComponent($0).path }
        }
    }

    /// One edit of `bytes`, sometimes two: a bit flip, a line deleted, duplicated or swapped, a
    /// value replaced by a hostile one (of its own kind, half the time), or a hostile wait added.
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")
        var lines = bytes.split(separator: newline, omittingEmptySubsequences: false).map(Array.init)
        for _ in 0..<(random.below(4) == 0 ? 2 : 1) {
            let line = random.below(lines.count)
            let indent = Array(lines[line].prefix { $0 == space || $0 == UInt8(ascii: "-") })
            switch random.below(8) {
            case 0:
                guard !lines[line].isEmpty else { continue }
                lines[line][random.below(lines[line].count)] ^= UInt8(1) << UInt8(random.below(8))
            case 1:
                if lines.count > 1 { lines.remove(at: line) }
            case 2:
                lines.insert(lines[line], at: line)
            case 3:
                lines.swapAt(line, random.below(lines.count))
            case 4, 5, 6:
                guard let colon = lines[line].firstIndex(of: UInt8(ascii: ":")) else {
                    lines[line] = indent + Array(random.pick(hostileValues).utf8)
                    continue
                }
                let value = String(decoding: lines[line][(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                let pool = Duration(podsim: value) != nil ? hostileDurations : Int(value) != nil ? hostileNumbers : hostileValues
                let hostile = random.below(2) == 0 ? random.pick(pool) : random.pick(hostileValues)
                lines[line] = Array(lines[line][...colon]) + [space] + Array(hostile.utf8)
            default:
                lines.insert(indent + Array("wait: \(random.pick(hostileDurations + hostileValues))".utf8), at: line)
            }
        }
        return Array(lines.joined(separator: [newline]))
    }

    @Test func mutatedScenariosValidateOrFailWithALocation() throws {
        let files = try Self.shippedFiles()
        #expect(files.count >= 18)
        let originals = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("podsim-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/mutant.yaml"
        var random = SplitMix64(seed: 0x5EED_F022)
        var outcomes = (valid: 0, invalid: 0)
        let started = ContinuousClock.now
        for number in 0..<Self.mutants {
            let mutant = Self.mutate(originals[number % originals.count], &random)
            try Data(mutant).write(to: URL(fileURLWithPath: path))
            do {
                let suite = try ScenarioSuite.load([path])
                _ = suite.scenarios.flatMap(\.steps).map(\.label)
                outcomes.valid += 1
            } catch let problems as ScenarioErrors {
                outcomes.invalid += 1
                #expect(!problems.errors.isEmpty, "mutant \(number)")
                for error in problems.errors {
                    #expect(error.location.file == path && error.location.line >= 1 && error.location.column >= 1, "mutant \(number): \(error)")
                }
            } catch {
                Issue.record("mutant \(number) of \(files[number % files.count]) failed without a location: \(error)")
            }
        }
        try FileManager.default.removeItem(atPath: directory)
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(outcomes.valid > 0 && outcomes.invalid > 0, "\(outcomes)")
    }
}
