import Foundation

/// The first line of `history.jsonl`: what ran, on which profile, with which switches, and when
/// the cluster's clock started.
public struct HistoryHeader: Sendable, Equatable, Codable {
    /// Always `history`, so a reader can tell the header from an event.
    public var kind = "history"
    /// The format's version; it changes only when a field changes meaning.
    public var format = 1
    public var scenario: String
    public var file: String
    /// `seed` or `hosted`: the rules the checkers apply.
    public var profile: String
    public var pods: Int
    public var bugs: [String]
    public var fixes: [String]
    /// The processes the cluster started with, in order: `mock-ai`, `pod-1`, …
    public var processes: [String]
    /// Unix epoch milliseconds at `t = 0`.
    public var startedAt: Int64

    public init(scenario: String, file: String, profile: String, pods: Int, bugs: [String], fixes: [String], processes: [String], startedAt: Int64) {
        self.scenario = scenario
        self.file = file
        self.profile = profile
        self.pods = pods
        self.bugs = bugs
        self.fixes = fixes
        self.processes = processes
        self.startedAt = startedAt
    }
}

/// A recorded run: its header and its events in time order.
public struct History: Sendable, Equatable {
    public var header: HistoryHeader
    public var events: [HistoryEvent]

    /// Sorts the events by time; events of the same instant keep the order given.
    public init(header: HistoryHeader, events: [HistoryEvent]) {
        self.header = header
        self.events = events.enumerated().sorted { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }.map(\.element)
    }

    /// The events of one kind, in time order.
    public func events(_ kind: HistoryKind) -> [HistoryEvent] { events.filter { $0.kind == kind } }

    /// The JSON Lines text: the header, then one event per line.
    public func jsonl() -> String {
        var text = header.jsonLine + "\n"
        for event in events { text += event.jsonLine + "\n" }
        return text
    }

    public func write(to path: String) throws {
        try jsonl().write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Reads a `history.jsonl`; a line that is not valid names its number.
    public init(jsonl text: String) throws(HistoryError) {
        let decoder = JSONDecoder()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter { !$0.element.isEmpty }.makeIterator()
        guard let (_, first) = lines.next() else { throw HistoryError(line: 1, message: "empty file: expected a history header") }
        let header: HistoryHeader
        do {
            header = try decoder.decode(HistoryHeader.self, from: Data(first.utf8))
        } catch {
            throw HistoryError(line: 1, message: "not a history header (\(error))")
        }
        guard header.kind == "history" else { throw HistoryError(line: 1, message: "the first line's kind is '\(header.kind)', not 'history'") }
        var events: [HistoryEvent] = []
        while let (index, line) = lines.next() {
            do {
                events.append(try decoder.decode(HistoryEvent.self, from: Data(line.utf8)))
            } catch {
                throw HistoryError(line: index + 1, message: "not a history event (\(error))")
            }
        }
        self.init(header: header, events: events)
    }

    public init(contentsOf path: String) throws(HistoryError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw HistoryError(line: 0, message: "cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(jsonl: text)
    }
}

/// Why a history file could not be read.
public struct HistoryError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}
