import Yams

/// A YAML node that remembers its file and position, so every parse error can say where.
struct YAMLNode {
    let node: Node
    let file: String

    var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    static func load(_ text: String, file: String) throws -> YAMLNode {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), "the file is empty; expected a scenario mapping")
            }
            return YAMLNode(node: node, file: file)
        } catch let error as YamlError {
            throw Self.describe(error, file: file)
        }
    }

    private static func describe(_ error: YamlError, file: String) -> ScenarioError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) " } ?? ""
            return ScenarioError(SourceLocation(file: file, line: mark.line, column: mark.column), "invalid YAML: \(detail)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ScenarioError(
                SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return ScenarioError(SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)")
        }
    }

    func child(_ node: Node) -> YAMLNode { YAMLNode(node: node, file: file) }

    func error(_ message: String) -> ScenarioError { ScenarioError(location, message) }

    /// The key/value pairs of a mapping, in file order.
    func pairs(_ what: String) throws -> [(key: String, keyNode: YAMLNode, value: YAMLNode)] {
        guard let mapping = node.mapping else { throw error("\(what) must be a mapping (key: value)") }
        return try mapping.map { key, value in
            guard let name = key.scalar?.string else { throw child(key).error("keys must be plain words") }
            return (name, child(key), child(value))
        }
    }

    /// A mapping's members by key, rejecting keys outside `allowed`.
    func members(_ what: String, allowed: [String]) throws -> [String: YAMLNode] {
        var members: [String: YAMLNode] = [:]
        for (key, keyNode, value) in try pairs(what) {
            guard allowed.contains(key) else { throw keyNode.error(unknownMessage("key in \(what)", key, expected: allowed)) }
            members[key] = value
        }
        return members
    }

    func items(_ what: String) throws -> [YAMLNode] {
        guard let sequence = node.sequence else { throw error("\(what) must be a list") }
        return sequence.map(child)
    }

    func string(_ what: String) throws -> String {
        guard let scalar = node.scalar else { throw error("\(what) must be a single value, not a list or mapping") }
        return scalar.string
    }

    func template(_ what: String) throws -> Template {
        Template(raw: try string(what), location: location)
    }

    func int(_ what: String) throws -> Int {
        guard let value = Int(try string(what)) else { throw error("\(what) must be a whole number, got '\(try string(what))'") }
        return value
    }

    func duration(_ what: String) throws -> Duration {
        let text = try string(what)
        guard let duration = Duration(podsim: text) else {
            throw error("\(what): bad duration '\(text)'; write it like 500ms, 2s or 1.5s")
        }
        return duration
    }

    /// Any value, as JSON-like data with templates in its strings.
    func value() throws -> TemplateValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                switch scalar.string {
                case "null", "~": return .null
                case "true": return .bool(true)
                case "false": return .bool(false)
                default:
                    if let number = Double(scalar.string), scalar.string.first.map({ $0.isNumber || $0 == "-" }) == true {
                        return .number(number)
                    }
                }
            }
            return .string(Template(raw: scalar.string, location: location))
        case .sequence(let sequence):
            return .array(try sequence.map { try child($0).value() })
        case .mapping(let mapping):
            return .object(try mapping.map { key, value in
                guard let name = key.scalar?.string else { throw child(key).error("keys must be plain words") }
                return (name, try child(value).value())
            })
        case .alias:
            throw error("YAML aliases are not supported in scenarios")
        }
    }
}

extension Duration {
    /// Parses `250ms`, `2s`, `1.5s`, `1m`.
    init?(podsim text: String) {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0, number.isFinite else { return nil }
            self = .milliseconds(Int64((number * scale).rounded()))
            return
        }
        return nil
    }
}
