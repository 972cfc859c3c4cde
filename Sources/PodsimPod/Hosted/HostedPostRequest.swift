import Foundation
import PodsimModel

/// The hosted POST body, `StreamRequestSchema` of schema era B: zod `.strict()`, so an unknown or
/// retired key (`harnessId`, `sandboxProviderKind`, `runLocally`) is a 400 that names it. It is
/// checked on the raw JSON, field by field, and the first issue answers with zod's wording.
struct HostedPostRequest: Sendable {
    /// The request's one non-system message.
    struct Message: Sendable {
        /// Nil when the client sent none (the schema allows it).
        var id: String?
        var role: String
        /// Its text parts, in order.
        var texts: [String]
    }

    var message: Message
    /// `thread_id` and `memory.thread_id`, where present: each must name the URL's thread.
    var threadIds: [String]
    var tier: String
    var branch: String?
    /// `sandboxProviderKind`, which only the pre-#6520 schema accepts (`legacy-link-dispatch`).
    var legacyProviderKind: String?

    /// The tiers an org has configured (an org in podsim has all three).
    static let tiers: Set<String> = ["fast", "smart", "thinking"]

    private static let keys: Set<String> = [
        "messages", "memory", "tier", "temperature", "branch", "toolApprovalLevel", "mode", "agent", "thread_id",
    ]
    /// The runtime selectors the schema accepted before #6520/#6527.
    private static let legacySelectorKeys: Set<String> = ["harnessId", "sandboxProviderKind"]
    private static let memoryKeys: Set<String> = ["windowSize", "thread_id"]
    private static let roles = ["user", "assistant", "system"]
    private static let toolApprovalLevels = ["auto", "readonly"]
    private static let modes = ["default", "plan", "web-search", "deep-research", "gen-image"]

    /// Checks `body` against the schema; a violation is a 400 whose text is the first zod issue.
    /// `acceptsLegacySelectors` is the schema before #6520/#6527 (the `legacy-link-dispatch` switch).
    init(_ body: JSONValue, acceptsLegacySelectors: Bool = false) throws {
        let root = try Self.object(body, at: [])
        try Self.refuseUnknownKeys(root, allowed: acceptsLegacySelectors ? Self.keys.union(Self.legacySelectorKeys) : Self.keys, at: [])
        if acceptsLegacySelectors {
            if let harness = root["harnessId"] { _ = try Self.string(harness, at: ["harnessId"]) }
            self.legacyProviderKind = try root["sandboxProviderKind"].map { try Self.string($0, at: ["sandboxProviderKind"]) }
        }
        let messages = try Self.array(Self.required(root["messages"], at: ["messages"]), at: ["messages"])
        if messages.isEmpty { throw Self.issue(["messages"], "Array must contain at least 1 element(s)") }
        let parsed = try messages.enumerated().map { index, value in try Self.message(value, at: ["messages", "\(index)"]) }
        var threadIds: [String] = []
        if let memory = root["memory"] {
            let members = try Self.object(memory, at: ["memory"])
            try Self.refuseUnknownKeys(members, allowed: Self.memoryKeys, at: ["memory"])
            if let windowSize = members["windowSize"] { try Self.windowSize(windowSize, at: ["memory", "windowSize"]) }
            if let threadId = members["thread_id"] { threadIds.append(try Self.string(threadId, at: ["memory", "thread_id"])) }
        }
        let tier = try root["tier"].map { try Self.string($0, at: ["tier"]) } ?? "smart"
        if let temperature = root["temperature"], temperature.numberValue == nil {
            throw Self.issue(["temperature"], "Expected number, received \(Self.typeName(temperature))")
        }
        let branch = try root["branch"].map { try Self.string($0, at: ["branch"]) }
        if let level = root["toolApprovalLevel"] { try Self.enumeration(level, Self.toolApprovalLevels, at: ["toolApprovalLevel"]) }
        if let mode = root["mode"] { try Self.enumeration(mode, Self.modes, at: ["mode"]) }
        if let agent = root["agent"] {
            _ = try Self.string(Self.required(Self.object(agent, at: ["agent"])["id"], at: ["agent", "id"]), at: ["agent", "id"])
        }
        if let threadId = root["thread_id"] { threadIds.insert(try Self.string(threadId, at: ["thread_id"]), at: 0) }
        let nonSystem = parsed.filter { $0.role != "system" }
        guard nonSystem.count == 1 else { throw PodError.badRequest("Expected exactly one non-system message") }
        self.message = nonSystem[0]
        self.threadIds = threadIds
        self.tier = tier
        self.branch = branch
    }

    private static func message(_ value: JSONValue, at path: [String]) throws -> Message {
        let members = try object(value, at: path)
        let id = try members["id"].map { try string($0, at: path + ["id"]) }
        let role = try enumeration(required(members["role"], at: path + ["role"]), roles, at: path + ["role"])
        let parts = try array(required(members["parts"], at: path + ["parts"]), at: path + ["parts"])
        var texts: [String] = []
        for (index, part) in parts.enumerated() {
            let partPath = path + ["parts", "\(index)"]
            let partMembers = try object(part, at: partPath)
            let type = try string(required(partMembers["type"], at: partPath + ["type"]), at: partPath + ["type"])
            if type == "text" { texts.append(try string(required(partMembers["text"], at: partPath + ["text"]), at: partPath + ["text"])) }
        }
        return Message(id: id, role: role, texts: texts)
    }

    private static func windowSize(_ value: JSONValue, at path: [String]) throws {
        guard let number = value.numberValue else { throw issue(path, "Expected number, received \(typeName(value))") }
        guard number.rounded() == number else { throw issue(path, "Expected integer, received float") }
        if number < 1 { throw issue(path, "Number must be greater than or equal to 1") }
        if number > 500 { throw issue(path, "Number must be less than or equal to 500") }
    }

    private static func refuseUnknownKeys(_ members: [String: JSONValue], allowed: Set<String>, at path: [String]) throws {
        let unknown = members.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw issue(path, "Unrecognized key(s) in object: " + unknown.map { "'\($0)'" }.joined(separator: ", "))
        }
    }

    private static func required(_ value: JSONValue?, at path: [String]) throws -> JSONValue {
        guard let value else { throw issue(path, "Required") }
        return value
    }

    private static func object(_ value: JSONValue, at path: [String]) throws -> [String: JSONValue] {
        guard case .object(let members) = value else { throw issue(path, "Expected object, received \(typeName(value))") }
        return members
    }

    private static func array(_ value: JSONValue, at path: [String]) throws -> [JSONValue] {
        guard case .array(let elements) = value else { throw issue(path, "Expected array, received \(typeName(value))") }
        return elements
    }

    private static func string(_ value: JSONValue, at path: [String]) throws -> String {
        guard let string = value.stringValue else { throw issue(path, "Expected string, received \(typeName(value))") }
        return string
    }

    @discardableResult
    private static func enumeration(_ value: JSONValue, _ options: [String], at path: [String]) throws -> String {
        let string = try string(value, at: path)
        guard options.contains(string) else {
            throw issue(path, "Invalid enum value. Expected \(options.map { "'\($0)'" }.joined(separator: " | ")), received '\(string)'")
        }
        return string
    }

    /// zod's issue text: the path (dot-joined) before the message, when there is one.
    private static func issue(_ path: [String], _ message: String) -> PodError {
        .badRequest(path.isEmpty ? message : path.joined(separator: ".") + ": " + message)
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
