import Foundation
import PodsimClient
import PodsimModel

/// What one look at a check's subject found: the first mismatch (if any) and the values to capture.
struct CheckOutcome: Sendable {
    var mismatch: StepFailure?
    var captured: [String: String] = [:]
}

/// What a check reads, as the workload recorded it: the frames a watcher received (each decoded
/// as a UI chunk when it is one), or the lines of a process's log.
struct Transcript: Sendable, Equatable {
    enum Source: Sendable, Equatable {
        /// SSE frames from a watcher: chunk expectations read the decoded chunks.
        case stream
        /// Log lines: chunk expectations read the text of each line.
        case log
    }

    var source: Source
    var items: [String]
    /// `items` decoded as chunks, index for index (nil for an item that is not one).
    var chunks: [UIChunk?]
    /// What the report says about the transcript (how many frames, whether the stream ended).
    var note: String

    /// Frames a watcher received, decoded once.
    static func stream(_ payloads: [String], ended: Bool = false, failure: String? = nil) -> Transcript {
        var note = "\(payloads.count) frames"
        if ended { note += ", stream ended" + (failure.map { ": \($0)" } ?? "") }
        let chunks = payloads.map { try? JSONDecoder().decode(UIChunk.self, from: Data($0.utf8)) }
        return Transcript(source: .stream, items: payloads, chunks: chunks, note: note)
    }

    static func log(_ lines: [String], path: String) -> Transcript {
        Transcript(source: .log, items: lines, chunks: lines.map { _ in nil }, note: "\(lines.count) lines of \(path)")
    }

    var unit: String { source == .stream ? "frame" : "line" }

    /// The type of each item's chunk: decoded for frames, as written (`"type":"…"`) in log lines.
    func hasChunk(ofType type: String) -> Bool {
        switch source {
        case .stream: chunks.contains { $0?.type == type }
        case .log: items.contains { $0.contains(#""type":"\#(type)""#) }
        }
    }

    /// Whether item `index` is content, which a correct stream never repeats (text deltas, tool
    /// events), unlike framing chunks such as `start-step`.
    func isContent(_ index: Int) -> Bool {
        switch source {
        case .stream:
            switch chunks[index] {
            case .textDelta, .toolInputAvailable, .toolOutputAvailable, .toolOutputError: true
            default: false
            }
        case .log:
            ["text-delta", "tool-input-available", "tool-output-available", "tool-output-error"].contains {
                items[index].contains(#""type":"\#($0)""#)
            }
        }
    }

    /// The `data.stage` of every `data-run-status` frame, in arrival order.
    var stages: [String] {
        chunks.compactMap { chunk in
            guard case .other(let frame) = chunk, frame["type"] == "data-run-status" else { return nil }
            return frame["data"]?["stage"]?.stringValue
        }
    }

    /// The mock provider's `t<ms>` stamps: in text deltas for frames, anywhere in a log line.
    var stamps: [Int64] {
        switch source {
        case .stream:
            chunks.compactMap { chunk in
                guard case .textDelta(_, let delta) = chunk else { return nil }
                return Checks.stamp(in: delta)
            }
        case .log: items.compactMap(Checks.stamp(in:))
        }
    }
}

/// The checks of the scenario language as pure functions of what a run recorded (thread views,
/// transcripts, call counts, responses) and the variables defined so far. They look at nothing
/// else, so each can be tested without a cluster; `ScenarioRun` gathers what they need.
enum Checks {
    // MARK: Fields

    /// A thread's fields against the check's field expectations, and the captures it asks for.
    static func thread(_ check: Check, view: JSONValue, variables: Variables) throws -> CheckOutcome {
        for expectation in check.expectations {
            guard case .field(let field, let comparison) = expectation.kind else { continue }
            if let mismatch = try compare(field, threadField(field, of: view), comparison, expectation.location, variables) {
                return CheckOutcome(mismatch: mismatch)
            }
        }
        var outcome = CheckOutcome()
        for (variable, field) in check.captures { outcome.captured[variable] = threadField(field, of: view)?.text ?? "null" }
        return outcome
    }

    /// One value (a call count, a query result) against every field expectation of the check.
    static func value(_ check: Check, _ what: String, _ value: JSONValue?, variables: Variables) throws -> CheckOutcome {
        for expectation in check.expectations {
            guard case .field(_, let comparison) = expectation.kind else { continue }
            if let mismatch = try compare(what, value, comparison, expectation.location, variables) { return CheckOutcome(mismatch: mismatch) }
        }
        return CheckOutcome()
    }

    /// The pod an `owner` step waits for, once the thread view names it. Seed: the run's owner
    /// while the thread is `in_progress` (and the run is the given attempt, if any); hosted: the
    /// pod executing the turn's child, or the one running its gate.
    static func owner(in view: JSONValue, profile: ServerProfile, role: OwnerRole, attempt: Int?) -> String? {
        switch profile {
        case .hosted:
            return view[role == .gate ? "gatePod" : "executorPod"]?.stringValue
        case .seed:
            let runAttempt = view["currentRun"]?["attempt"]?.numberValue.map { Int($0) }
            guard view["status"]?.stringValue == "in_progress", attempt == nil || runAttempt == attempt else { return nil }
            return view["runOwnerPod"]?.stringValue
        }
    }

    /// The value of a thread field as scenarios name it.
    static func threadField(_ field: String, of state: JSONValue) -> JSONValue? {
        switch field {
        case "owner": state["runOwnerPod"] ?? .null
        case "renderableParts": state["renderablePartCount"] ?? .null
        case "runState": state["currentRun"]?["state"] ?? .null
        case "attempt": state["currentRun"]?["attempt"] ?? .null
        case "error": state["currentRun"]?["error"] ?? .null
        default: state[field] ?? .null
        }
    }

    static func compare(
        _ what: String, _ actual: JSONValue?, _ comparison: Comparison, _ location: SourceLocation, _ variables: Variables
    ) throws -> StepFailure? {
        let actual = actual ?? .null
        let shown = "\(what) = \(actual.text)"
        switch comparison {
        case .equals(let wanted):
            let value = try variables.resolve(wanted)
            return actual.matches(value) ? nil : StepFailure(location, expected: "\(what) = \(value.text)", actual: shown)
        case .not(let unwanted):
            let value = try variables.resolve(unwanted)
            return actual.matches(value) ? StepFailure(location, expected: "\(what) ≠ \(value.text)", actual: shown) : nil
        case .atLeast(let bound):
            return (actual.numberValue ?? -.infinity) >= bound ? nil : StepFailure(location, expected: "\(what) ≥ \(bound.shortText)", actual: shown)
        case .atMost(let bound):
            return (actual.numberValue ?? .infinity) <= bound ? nil : StepFailure(location, expected: "\(what) ≤ \(bound.shortText)", actual: shown)
        case .greaterThan(let bound):
            return (actual.numberValue ?? -.infinity) > bound ? nil : StepFailure(location, expected: "\(what) > \(bound.shortText)", actual: shown)
        case .contains(let template):
            let text = try variables.resolve(template)
            return actual.stringValue?.contains(text) == true ? nil : StepFailure(location, expected: "\(what) containing '\(text)'", actual: shown)
        }
    }

    // MARK: Streams and logs

    /// The stream expectations over a transcript; the first that does not hold.
    static func transcript(_ expectations: [Expectation], _ transcript: Transcript, variables: Variables) throws -> StepFailure? {
        let items = transcript.items
        let unit = transcript.unit
        let note = transcript.note
        func occurrences(_ text: String) -> Int {
            items.reduce(0) { $0 + $1.components(separatedBy: text).count - 1 }
        }
        func seen(_ indices: [Int]) -> String {
            indices.prefix(3).map { "\(unit) \($0 + 1): \(items[$0].prefix(120))" }.joined(separator: "; ")
        }
        let tail = items.suffix(4).map { String($0.prefix(120)) }.joined(separator: " | ")
        let summary = "\(note); last: \(tail.isEmpty ? "(nothing)" : tail)"
        for expectation in expectations {
            let location = expectation.location
            switch expectation.kind {
            case .contains(let template):
                let text = try variables.resolve(template)
                if occurrences(text) == 0 { return StepFailure(location, expected: "'\(text)' to appear", actual: summary) }
            case .notContains(let template):
                let text = try variables.resolve(template)
                let hits = items.indices.filter { items[$0].contains(text) }
                if !hits.isEmpty { return StepFailure(location, expected: "no '\(text)'", actual: "\(hits.count) \(unit)s with it: \(seen(hits))") }
            case .count(let template, let count):
                let text = try variables.resolve(template)
                let found = occurrences(text)
                if !count.matches(found) {
                    let hits = items.indices.filter { items[$0].contains(text) }
                    return StepFailure(location, expected: "'\(text)' \(count)", actual: "\(found) times (\(note)); \(seen(hits))")
                }
            case .order(let templates):
                let texts = try templates.map { try variables.resolve($0) }
                let positions = texts.map { text in items.firstIndex { $0.contains(text) } }
                let order = texts.map { "'\($0)'" }.joined(separator: " before ")
                if positions.contains(where: { $0 == nil }) || !zip(positions, positions.dropFirst()).allSatisfy({ $0! < $1! }) {
                    let found = zip(texts, positions).map { "'\($0)' at \($1.map { "\(unit) \($0 + 1)" } ?? "missing")" }.joined(separator: ", ")
                    return StepFailure(location, expected: order, actual: found)
                }
            case .noDuplicates:
                var firstSeen: [String: Int] = [:]
                for (index, item) in items.enumerated() where transcript.isContent(index) {
                    if let first = firstSeen[item] {
                        return StepFailure(location, expected: "no \(unit) received twice", actual: "\(unit)s \(first + 1) and \(index + 1) are both \(item.prefix(120))")
                    }
                    firstSeen[item] = index
                }
            case .stampedAfter(let template):
                let text = try variables.resolve(template)
                guard let bound = Int64(text) else { return StepFailure(location, expected: "a time in ms for stampedAfter", actual: text) }
                let stamps = transcript.stamps
                if !stamps.contains(where: { $0 > bound }) {
                    return StepFailure(location, expected: "a chunk stamped after \(bound)", actual: "stamps \(Set(stamps).sorted().map(String.init).joined(separator: ", ")) (\(note))")
                }
            case .chunkType(let template):
                let type = try variables.resolve(template)
                if !transcript.hasChunk(ofType: type) { return StepFailure(location, expected: "a \(type) chunk", actual: summary) }
            case .framesAtLeast(let count):
                if items.count < count { return StepFailure(location, expected: "at least \(count) \(unit)s", actual: summary) }
            case .stages(let wanted):
                if let failure = stages(wanted, received: transcript.stages, at: location) { return failure }
            case .field:
                continue
            }
        }
        return nil
    }

    /// Whether the stages `wanted` first appear in that order among those `received` (others may
    /// come between; a repeated stage counts where it first appeared).
    static func stages(_ wanted: [String], received: [String], at location: SourceLocation) -> StepFailure? {
        var firsts: [String] = []
        for stage in received where !firsts.contains(stage) { firsts.append(stage) }
        var remaining = wanted[...]
        for stage in firsts where stage == remaining.first { remaining.removeFirst() }
        guard !remaining.isEmpty else { return nil }
        var runs: [(stage: String, count: Int)] = []
        for stage in received {
            if runs.last?.stage == stage { runs[runs.count - 1].count += 1 } else { runs.append((stage, 1)) }
        }
        let shown = runs.isEmpty
            ? "no data-run-status frame"
            : "stages " + runs.map { $0.count == 1 ? $0.stage : "\($0.stage) (×\($0.count))" }.joined(separator: ", ")
        return StepFailure(location, expected: "stages \(wanted.joined(separator: ", ")) in this order", actual: shown)
    }

    /// The mock provider's `t<ms>` stamp in a text, if any.
    static func stamp(in text: String) -> Int64? {
        guard let range = text.range(of: #"\bt\d{10,} chunk-"#, options: .regularExpression) else { return nil }
        return Int64(text[range].dropFirst().prefix { $0.isNumber })
    }

    // MARK: Responses

    /// Every way a response differs from what was expected; the first found.
    static func response(_ response: HTTPExchange, _ expect: ResponseExpectation, variables: Variables) throws -> StepFailure? {
        let location = expect.location
        let summary = "\(response.status) \(response.body.prefix(300))"
        if let status = expect.status, !status.matches(response.status) {
            return StepFailure(location, expected: status.description, actual: summary)
        }
        if let wanted = expect.json {
            let value = try variables.resolve(wanted)
            guard let json = response.json, json.matches(value) else {
                return StepFailure(location, expected: "a JSON body containing \(value.text)", actual: summary)
            }
        }
        for (path, wanted) in expect.paths {
            let value = try variables.resolve(wanted)
            let actual = response.json?.at(path: path)
            if !(actual.map { $0.matches(value) } ?? (value == .null)) {
                return StepFailure(location, expected: "\(path) = \(value.text)", actual: "\(path) = \(actual?.text ?? "missing") in \(summary)")
            }
        }
        for (name, wanted) in expect.headers {
            let value = try variables.resolve(wanted)
            let actual = response.header(name)
            if actual?.contains(value) != true {
                return StepFailure(location, expected: "header \(name) containing '\(value)'", actual: actual.map { "'\($0)'" } ?? "no \(name) header")
            }
        }
        if let text = expect.bodyContains {
            let value = try variables.resolve(text)
            if !response.body.contains(value) { return StepFailure(location, expected: "a body containing '\(value)'", actual: summary) }
        }
        if let text = expect.bodyNotContains {
            let value = try variables.resolve(text)
            if response.body.contains(value) { return StepFailure(location, expected: "a body without '\(value)'", actual: summary) }
        }
        return nil
    }

    /// The values a request captures from its response (body paths and headers); `naming` says
    /// the variable in a failure (as a `request` step does, unlike a check's request).
    static func captures(_ captures: [ResponseCapture], from response: HTTPExchange, at location: SourceLocation, naming: Bool) -> CheckOutcome {
        var outcome = CheckOutcome()
        let into = { (name: String) in naming ? " to capture into \(name)" : "" }
        for capture in captures {
            switch capture.source {
            case .body(let path):
                guard let value = response.json?.at(path: path) else {
                    return CheckOutcome(mismatch: StepFailure(location, expected: "a value at \(path)\(into(capture.name))", actual: String(response.body.prefix(300))))
                }
                outcome.captured[capture.name] = value.text
            case .header(let name):
                guard let value = response.header(name) else {
                    let names = response.headers.map { $0.0.lowercased() }
                    let actual = "no \(name) header (headers: \(names.isEmpty ? "none" : names.joined(separator: ", ")))"
                    return CheckOutcome(mismatch: StepFailure(location, expected: "header \(name)\(into(capture.name))", actual: actual))
                }
                outcome.captured[capture.name] = name == "set-cookie" ? cookiePair(value) : value
            }
        }
        return outcome
    }

    /// The `name=value` pair of a `set-cookie` header, the part a client sends back.
    static func cookiePair(_ setCookie: String) -> String {
        String(setCookie.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces)
    }
}

extension Double {
    /// `3` rather than `3.0` in reports.
    var shortText: String { rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
