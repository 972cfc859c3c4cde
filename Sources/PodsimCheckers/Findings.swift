import PodsimHistory

/// What one check found: the violations, and the reasons it could not judge part of the history.
struct Findings {
    private(set) var violations: [Violation] = []
    private(set) var unknowns: [String] = []

    mutating func violate(_ message: String, _ events: [Located]) {
        let events = events.reduce(into: [Located]()) { kept, event in
            if !kept.contains(where: { $0.index == event.index }) { kept.append(event) }
        }
        violations.append(Violation(message: message, events: events.map(\.event), indices: events.map(\.index)))
    }

    mutating func cannotJudge(_ reason: String) {
        if !unknowns.contains(reason) { unknowns.append(reason) }
    }

    /// `fail` with any violation, else `unknown` with any reason, else `pass`.
    func verdict(of checker: some Checker, profile: String) -> Verdict {
        let validity: Validity = !violations.isEmpty ? .fail : unknowns.isEmpty ? .pass : .unknown
        return Verdict(
            checker: checker.name, property: checker.property(profile: profile), validity: validity, violations: violations,
            note: validity == .unknown ? unknowns.joined(separator: "; ") : nil)
    }
}
