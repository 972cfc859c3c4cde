import Foundation
import PodsimClient
import PodsimModel

/// What one look at a check's subject found: the first mismatch (if any) and the values to capture.
struct CheckOutcome: Sendable {
    var mismatch: StepFailure?
    var captured: [String: String] = [:]
}

extension ScenarioRun {
    /// Looks at the subject once. Errors reaching it (a pod that is down, a refused connection)
    /// are a mismatch, so `eventually` keeps polling through them.
    func evaluate(_ check: Check) async -> CheckOutcome {
        do {
            return try await look(check)
        } catch let failure as StepFailure {
            return CheckOutcome(mismatch: failure)
        } catch {
            return CheckOutcome(mismatch: StepFailure(check.location, expected: "\(check.subject) to be readable", actual: "\(error)"))
        }
    }

    func apply(_ outcome: CheckOutcome) {
        for (name, value) in outcome.captured { record(name, value) }
    }

    func eventually(_ check: Check, timeout: Duration, interval: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let outcome = await evaluate(check)
            guard let mismatch = outcome.mismatch else { return apply(outcome) }
            if ContinuousClock.now >= deadline { throw mismatch.extended(expected: " within \(timeout.podsimText)") }
            try await Task.sleep(for: interval)
        }
    }

    func stable(_ check: Check, window: Duration, interval: Duration) async throws {
        let start = ContinuousClock.now
        while true {
            let outcome = await evaluate(check)
            if let mismatch = outcome.mismatch {
                throw mismatch.extended(expected: " for \(window.podsimText)", actual: " (after \((ContinuousClock.now - start).podsimText))")
            }
            if ContinuousClock.now - start >= window { return apply(outcome) }
            try await Task.sleep(for: interval)
        }
    }

    private func look(_ check: Check) async throws -> CheckOutcome {
        switch check.subject {
        case .thread(let name, let session, let pod):
            let state = try await threadState(name, session: session, pod: pod)
            var outcome = CheckOutcome()
            for expectation in check.expectations {
                guard case .field(let field, let comparison) = expectation.kind else { continue }
                if let mismatch = try compare(field, Self.threadField(field, of: state), comparison, expectation.location) {
                    return CheckOutcome(mismatch: mismatch)
                }
            }
            for (variable, field) in check.captures { outcome.captured[variable] = Self.threadField(field, of: state)?.text ?? "null" }
            return outcome
        case .watcher(let name):
            guard let watcher = watcher(name) else {
                return CheckOutcome(mismatch: StepFailure(check.location, expected: "an attached watcher \(name)", actual: "none (detached or never attached)"))
            }
            let payloads = await watcher.payloads
            let ended = await watcher.ended
            let failure = await watcher.failure
            var note = "\(payloads.count) frames"
            if ended { note += ", stream ended" + (failure.map { ": \($0)" } ?? "") }
            return CheckOutcome(mismatch: try streamStepFailure(check.expectations, payloads, unit: "frame", note: note))
        case .providerCalls(let thread):
            let id = try self.thread(thread).id
            let response = try await HTTPExchange.send("GET", await cluster.mockAIURL + "/control/calls/count?thread=\(id)")
            return try fieldOutcome(check, "provider calls", response.json?["count"])
        case .store(let sql):
            let rows = try await storeQuery(try variables.resolve(sql))
            let value: JSONValue
            if let row = rows.first, row.count == 1, let cell = row.values.first {
                value = cell.map { Double($0).map(JSONValue.number) ?? .string($0) } ?? .null
            } else {
                value = .array(rows.map { row in .object(row.mapValues { $0.map(JSONValue.string) ?? .null }) })
            }
            return try fieldOutcome(check, "the query result", value)
        case .log(let process):
            let name = try variables.resolve(process)
            let path = try await cluster.info(name).log
            let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return CheckOutcome(mismatch: try streamStepFailure(check.expectations, lines, unit: "line", note: "\(lines.count) lines of \(path)"))
        case .request(let request):
            let response = try await perform(request)
            if let mismatch = try responseStepFailure(response, request.expect) { return CheckOutcome(mismatch: mismatch) }
            var outcome = CheckOutcome()
            for (name, path) in request.captures {
                guard let value = response.json?.at(path: path) else {
                    return CheckOutcome(mismatch: StepFailure(check.location, expected: "a value at \(path)", actual: String(response.body.prefix(300))))
                }
                outcome.captured[name] = value.text
            }
            return outcome
        }
    }

    private func fieldOutcome(_ check: Check, _ what: String, _ value: JSONValue?) throws -> CheckOutcome {
        for expectation in check.expectations {
            guard case .field(_, let comparison) = expectation.kind else { continue }
            if let mismatch = try compare(what, value, comparison, expectation.location) { return CheckOutcome(mismatch: mismatch) }
        }
        return CheckOutcome()
    }

    /// The value of a thread field as scenarios name it.
    static func threadField(_ field: String, of state: JSONValue) -> JSONValue? {
        switch field {
        case "owner": state["runOwnerPod"] ?? .null
        case "runState": state["currentRun"]?["state"] ?? .null
        case "attempt": state["currentRun"]?["attempt"] ?? .null
        case "error": state["currentRun"]?["error"] ?? .null
        default: state[field] ?? .null
        }
    }

    private func compare(_ what: String, _ actual: JSONValue?, _ comparison: Comparison, _ location: SourceLocation) throws -> StepFailure? {
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
        }
    }

    /// Checks stream expectations over received frames (or log lines).
    private func streamStepFailure(_ expectations: [Expectation], _ items: [String], unit: String, note: String) throws -> StepFailure? {
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
                if found != count {
                    let hits = items.indices.filter { items[$0].contains(text) }
                    return StepFailure(location, expected: "'\(text)' exactly \(count) time\(count == 1 ? "" : "s")", actual: "\(found) times (\(note)); \(seen(hits))")
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
                for (index, item) in items.enumerated() where Self.isContent(item) {
                    if let first = firstSeen[item] {
                        return StepFailure(location, expected: "no \(unit) received twice", actual: "\(unit)s \(first + 1) and \(index + 1) are both \(item.prefix(120))")
                    }
                    firstSeen[item] = index
                }
            case .stampedAfter(let template):
                let text = try variables.resolve(template)
                guard let bound = Int64(text) else { return StepFailure(location, expected: "a time in ms for stampedAfter", actual: text) }
                let stamps = items.compactMap(Self.stamp)
                if !stamps.contains(where: { $0 > bound }) {
                    return StepFailure(location, expected: "a chunk stamped after \(bound)", actual: "stamps \(Set(stamps).sorted().map(String.init).joined(separator: ", ")) (\(note))")
                }
            case .chunkType(let template):
                let type = try variables.resolve(template)
                if !items.contains(where: { $0.contains(#""type":"\#(type)""#) }) {
                    return StepFailure(location, expected: "a \(type) chunk", actual: summary)
                }
            case .framesAtLeast(let count):
                if items.count < count { return StepFailure(location, expected: "at least \(count) \(unit)s", actual: summary) }
            case .field:
                continue
            }
        }
        return nil
    }

    /// Content chunks (text deltas, tool events) are unique in a correct stream; framing chunks
    /// such as `start-step` legitimately repeat.
    static func isContent(_ frame: String) -> Bool {
        ["text-delta", "tool-input-available", "tool-output-available", "tool-output-error"].contains {
            frame.contains(#""type":"\#($0)""#)
        }
    }

    /// The mock provider's `t<ms>` stamp in a chunk, if any.
    static func stamp(_ frame: String) -> Int64? {
        guard let range = frame.range(of: #"\bt\d{10,} chunk-"#, options: .regularExpression) else { return nil }
        return Int64(frame[range].dropFirst().prefix { $0.isNumber })
    }
}

extension Double {
    /// `3` rather than `3.0` in reports.
    var shortText: String { rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
