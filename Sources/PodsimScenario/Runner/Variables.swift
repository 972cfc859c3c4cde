import Foundation
import PodsimModel

/// The values a running scenario has captured, and `${…}` interpolation over them.
struct Variables: Sendable {
    private var values: [String: String] = [:]

    subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// Replaces every `${name}` / `${name.field}`; `${uuid}` is fresh each time, `${now}` is the
    /// wall-clock time in milliseconds.
    func resolve(_ template: Template) throws -> String {
        try resolve(template) { value, _ in value }
    }

    /// Resolves a request's path: each value put into it is percent-encoded, so that an id such
    /// as `a/b` stays one path segment (after the path's `?`, one query value). The text written
    /// around the references is sent as written.
    func resolve(path template: Template) throws -> String {
        var queryValue = CharacterSet.urlQueryAllowed
        queryValue.remove(charactersIn: "&=+#%")
        return try resolve(template) { value, inQuery in
            inQuery ? value.addingPercentEncoding(withAllowedCharacters: queryValue) ?? value : PodPath.escaped(value)
        }
    }

    /// Resolves `template`, passing each reference's value through `encode` with whether a `?`
    /// came before it.
    private func resolve(_ template: Template, encode: (String, Bool) -> String) throws -> String {
        let pieces: [Template.Piece]
        do {
            pieces = try template.pieces()
        } catch {
            throw StepFailure(error.location, expected: "a well-formed template", actual: error.message)
        }
        var output = ""
        for piece in pieces {
            switch piece {
            case .text(let text):
                output += text
            case .reference(let reference):
                let inQuery = output.contains("?")
                switch reference.key {
                case "uuid": output += UUID().uuidString.lowercased()
                case "now": output += String(wallClockMillis())
                default:
                    guard let value = values[reference.key] else {
                        let known = values.keys.sorted().joined(separator: ", ")
                        throw StepFailure(template.location, expected: "variable '\(reference.key)' to be defined", actual: "defined: \(known)")
                    }
                    output += encode(value, inQuery)
                }
            }
        }
        return output
    }

    func resolve(_ value: TemplateValue) throws -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .number(let number): return .number(number)
        case .string(let template): return .string(try resolve(template))
        case .array(let items): return .array(try items.map { try resolve($0) })
        case .object(let members):
            var object: [String: JSONValue] = [:]
            for (key, member) in members { object[key] = try resolve(member) }
            return .object(object)
        }
    }
}

/// A step that did not do what the scenario expected.
public struct StepFailure: Error, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var expected: String
    public var actual: String

    public init(_ location: SourceLocation, expected: String, actual: String) {
        self.location = location
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "\(location): expected \(expected), got \(actual)" }

    /// The same failure with more said about it, e.g. the window of a `stable` step.
    func extended(expected more: String, actual extra: String = "") -> StepFailure {
        StepFailure(location, expected: expected + more, actual: actual + extra)
    }
}

extension JSONValue {
    /// Compact text for reports.
    var text: String {
        switch self {
        case .string(let string): return string
        case .null: return "null"
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }

    /// The value at a dotted path (`user.id`, `messages.0.id`, optionally starting with `$.`).
    func at(path: String) -> JSONValue? {
        var current: JSONValue? = self
        let trimmed = path.hasPrefix("$.") ? String(path.dropFirst(2)) : path
        for component in trimmed.split(separator: ".") {
            switch current {
            case .object(let members): current = members[String(component)]
            case .array(let items): current = Int(component).flatMap { items.indices.contains($0) ? items[$0] : JSONValue?.none }
            default: return nil
            }
        }
        return current
    }

    /// Whether `self` contains `expected`: objects by subset, everything else by equal value
    /// (numbers and their text compare equal, so `"2"` matches `2`).
    func matches(_ expected: JSONValue) -> Bool {
        switch (self, expected) {
        case (.object(let actual), .object(let wanted)):
            return wanted.allSatisfy { key, value in actual[key].map { $0.matches(value) } ?? (value == .null) }
        case (.array(let actual), .array(let wanted)):
            return actual.count == wanted.count && zip(actual, wanted).allSatisfy { $0.matches($1) }
        case (.number(let a), .number(let b)):
            return a == b
        case (.number, .string), (.string, .number), (.bool, .string), (.string, .bool):
            return text == expected.text
        default:
            return self == expected
        }
    }
}
