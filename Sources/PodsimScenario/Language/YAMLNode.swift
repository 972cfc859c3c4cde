import Yams

/// A YAML node that remembers its file and position, so every parse error can say where.
struct YAMLNode {
    let node: Node
    let file: String

    var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    /// Where a scalar's text starts: past the opening quote, if it has one.
    var textLocation: SourceLocation {
        guard let style = node.scalar?.style, style == .singleQuoted || style == .doubleQuoted else { return location }
        return SourceLocation(file: file, line: location.line, column: location.column + 1)
    }

    /// The largest scenario file accepted: real ones are a few KB, and this keeps validating
    /// any file within a few MB of memory.
    static let maxBytes = 64 * 1024
    static let tooLarge = "the file is too large: a scenario file may have at most \(maxBytes / 1024) KB"
    /// How deeply mappings and lists may nest; real scenarios use fewer than ten levels.
    static let maxDepth = 64

    /// Composes `text`, rejecting anchors and aliases before any alias is expanded (a few
    /// nested aliases can stand for billions of nodes).
    static func load(_ text: String, file: String) throws -> YAMLNode {
        guard text.utf8.count <= maxBytes else { throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), tooLarge) }
        // Every `*` becomes a character that cannot start an alias (and that character, if
        // written, another like it), so this first compose expands nothing; a plain value
        // starting with that character is where an alias was written.
        let inert = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar == "*" ? aliasMark : scalar == aliasMark ? "\u{E001}" : scalar
        }))
        let checked = try compose(inert, file: file, rejectingUnsupported: true)
        return inert == text ? checked : try compose(text, file: file, rejectingUnsupported: false)
    }

    /// Stands in for `*` while looking for aliases: a private-use character, which YAML reads
    /// as plain text wherever it reads `*` as plain text.
    private static let aliasMark: Unicode.Scalar = "\u{E000}"

    private static func compose(_ text: String, file: String, rejectingUnsupported: Bool) throws -> YAMLNode {
        do {
            let parser = try Parser(yaml: text)
            guard let node = try parser.singleRoot() else {
                throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), "the file is empty; expected a scenario mapping")
            }
            let root = YAMLNode(node: node, file: file)
            // Nodes point to their anchors weakly: only the parser holds them.
            if rejectingUnsupported { try withExtendedLifetime(parser) { try root.rejectUnsupported(depth: 1) } }
            return root
        } catch let error as YamlError {
            throw describe(error, file: file)
        }
    }

    /// Fails at the first anchor or alias, or at nesting deeper than `maxDepth`.
    private func rejectUnsupported(depth: Int) throws {
        if node.anchor != nil {
            throw error("YAML anchors (&name) are not supported in scenarios; write the value out where it is used")
        }
        if case .scalar(let scalar) = node, scalar.style == .plain, scalar.string.unicodeScalars.first == Self.aliasMark {
            throw error("YAML aliases (*name) are not supported in scenarios; write the value out, or quote it if '*' is meant as text")
        }
        guard depth <= Self.maxDepth else { throw error("nested more than \(Self.maxDepth) levels deep") }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                try child(key).rejectUnsupported(depth: depth + 1)
                try child(value).rejectUnsupported(depth: depth + 1)
            }
        case .sequence(let sequence):
            for item in sequence { try child(item).rejectUnsupported(depth: depth + 1) }
        case .scalar, .alias:
            break
        }
    }

    private static func describe(_ error: YamlError, file: String) -> ScenarioError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) " } ?? ""
            return ScenarioError(SourceLocation(file: file, line: mark.line, column: mark.column), "invalid YAML: \(detail)\(problem)")
        case .reader(let problem, let offset, _, let yaml):
            // `offset` counts characters; the location counts lines and, within one, unicode scalars.
            let before = yaml.prefix(offset ?? 0).unicodeScalars
            let line = before.split(separator: "\n", omittingEmptySubsequences: false)
            return ScenarioError(
                SourceLocation(file: file, line: line.count, column: (line.last?.count ?? 0) + 1), "invalid YAML: \(problem)")
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
        Template(raw: try string(what), location: textLocation)
    }

    /// A whole number within `range`, the values that can mean something where it is written.
    func int(_ what: String, in range: ClosedRange<Int>) throws -> Int {
        let text = try string(what)
        guard let value = Int(text) else { throw error("\(what) must be a whole number, got '\(text)'") }
        guard range.contains(value) else {
            throw error("\(what) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A duration longer than 0ms and at most `Duration.podsimLimit`.
    func duration(_ what: String) throws -> Duration {
        let text = try string(what)
        guard let duration = Duration(podsim: text) else {
            throw error("\(what): bad duration '\(text)'; write it like 500ms, 2s, 1.5s or 1m, at most \(Int(Duration.podsimLimit / .seconds(60)))m")
        }
        guard duration > .zero else { throw error("\(what) must be longer than 0ms") }
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
                        guard number.isFinite else { throw error("'\(scalar.string)' is not a finite number; quote it to mean the text") }
                        return .number(number)
                    }
                }
            }
            return .string(Template(raw: scalar.string, location: textLocation))
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
    /// The longest duration a scenario may write: a day, far beyond any timeout or wait a
    /// scenario needs, and small enough that every duration converts to milliseconds exactly.
    static let podsimLimit = Duration.seconds(24 * 60 * 60)

    /// Parses `250ms`, `2s`, `1.5s`, `1m`: decimal digits with an optional fraction, then the
    /// unit. Signs, exponents, hex, `inf`, `nan` and anything over `podsimLimit` are nil.
    init?(podsim text: String) {
        let units: [(suffix: String, millis: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }) else { return nil }
        let number = text.dropLast(unit.suffix.count)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digitsOnly = parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        // `.5s` is as decimal as `0.5s`; a number needs digits after a dot, and some digits.
        guard digitsOnly, parts.last?.isEmpty == false, let value = Double(number) else { return nil }
        let millis = (value * unit.millis).rounded()
        guard millis <= Self.podsimLimit / .milliseconds(1) else { return nil }
        self = .milliseconds(Int64(millis))
    }
}
