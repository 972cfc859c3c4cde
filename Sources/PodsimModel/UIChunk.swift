import Foundation

/// One chunk of the AI SDK UI-message stream: what pods append to a thread's chunk log and
/// what `/stream` sends, one SSE frame each. A frame of any other type (`data-run-status`,
/// `data-liveness`, `data-user-message`, …) decodes as `other`, kept whole.
public enum UIChunk: Sendable, Equatable, Codable {
    case start(messageId: String?)
    case startStep
    case textStart(id: String)
    case textDelta(id: String, delta: String)
    case textEnd(id: String)
    case toolInputAvailable(toolCallId: String, toolName: String, input: JSONValue)
    case toolOutputAvailable(toolCallId: String, output: JSONValue)
    case toolOutputError(toolCallId: String, errorText: String)
    case finishStep
    case finish
    case error(errorText: String)
    case abort
    /// A chunk of a type not listed above, as received (a JSON object with a string `type`).
    case other(JSONValue)

    /// The `type` field on the wire.
    public var type: String {
        switch self {
        case .start: "start"
        case .startStep: "start-step"
        case .textStart: "text-start"
        case .textDelta: "text-delta"
        case .textEnd: "text-end"
        case .toolInputAvailable: "tool-input-available"
        case .toolOutputAvailable: "tool-output-available"
        case .toolOutputError: "tool-output-error"
        case .finishStep: "finish-step"
        case .finish: "finish"
        case .error: "error"
        case .abort: "abort"
        case .other(let chunk): chunk["type"]?.stringValue ?? ""
        }
    }

    private enum CodingKeys: String, CodingKey {
        case type, id, delta, messageId, toolCallId, toolName, input, output, errorText
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "start": self = .start(messageId: try c.decodeIfPresent(String.self, forKey: .messageId))
        case "start-step": self = .startStep
        case "text-start": self = .textStart(id: try c.decode(String.self, forKey: .id))
        case "text-delta":
            self = .textDelta(id: try c.decode(String.self, forKey: .id), delta: try c.decode(String.self, forKey: .delta))
        case "text-end": self = .textEnd(id: try c.decode(String.self, forKey: .id))
        case "tool-input-available":
            self = .toolInputAvailable(
                toolCallId: try c.decode(String.self, forKey: .toolCallId),
                toolName: try c.decode(String.self, forKey: .toolName),
                input: try c.decodeIfPresent(JSONValue.self, forKey: .input) ?? .null)
        case "tool-output-available":
            self = .toolOutputAvailable(
                toolCallId: try c.decode(String.self, forKey: .toolCallId),
                output: try c.decodeIfPresent(JSONValue.self, forKey: .output) ?? .null)
        case "tool-output-error":
            self = .toolOutputError(
                toolCallId: try c.decode(String.self, forKey: .toolCallId),
                errorText: try c.decode(String.self, forKey: .errorText))
        case "finish-step": self = .finishStep
        case "finish": self = .finish
        case "error": self = .error(errorText: try c.decode(String.self, forKey: .errorText))
        case "abort": self = .abort
        default: self = .other(try JSONValue(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .other(let chunk) = self { return try chunk.encode(to: encoder) }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .start(let messageId): try c.encodeIfPresent(messageId, forKey: .messageId)
        case .startStep, .finishStep, .finish, .abort, .other: break
        case .textStart(let id), .textEnd(let id): try c.encode(id, forKey: .id)
        case .textDelta(let id, let delta):
            try c.encode(id, forKey: .id)
            try c.encode(delta, forKey: .delta)
        case .toolInputAvailable(let toolCallId, let toolName, let input):
            try c.encode(toolCallId, forKey: .toolCallId)
            try c.encode(toolName, forKey: .toolName)
            try c.encode(input, forKey: .input)
        case .toolOutputAvailable(let toolCallId, let output):
            try c.encode(toolCallId, forKey: .toolCallId)
            try c.encode(output, forKey: .output)
        case .toolOutputError(let toolCallId, let errorText):
            try c.encode(toolCallId, forKey: .toolCallId)
            try c.encode(errorText, forKey: .errorText)
        case .error(let errorText): try c.encode(errorText, forKey: .errorText)
        }
    }
}

extension UIChunk {
    /// The chunk as the chunk log stores it and SSE frames carry it: compact JSON with sorted
    /// keys, one encoding for every pod so watchers on any pod see identical bytes.
    public func storedBody() throws -> String {
        String(decoding: try Self.storedEncoder.encode(self), as: UTF8.self)
    }

    /// Decodes a body written by `storedBody()`.
    public init(storedBody: String) throws {
        self = try JSONDecoder().decode(UIChunk.self, from: Data(storedBody.utf8))
    }

    private static let storedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
