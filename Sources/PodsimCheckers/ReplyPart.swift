import Foundation

/// A content part of an assistant reply, as the parts checker compares them: a text part's text,
/// or a tool part's tool and call id. Other parts (`finish` anchors, `error`, step markers, the
/// user's own text) are not compared.
enum ReplyPart: Hashable, Comparable, CustomStringConvertible {
    case text(String)
    case tool(name: String, callId: String)

    var description: String {
        switch self {
        case .text(let text): "text \"\(text)\""
        case .tool(let name, let callId): "tool-\(name) \(callId)"
        }
    }

    /// The reply parts of a `parts-projected` event's `data`: a JSON array of parts, each with a
    /// `type`, an optional `role`, and its fields either inline or in `body` (an object, or a
    /// string holding one). Nil when `data` is not such an array.
    static func parts(ofProjection data: String?) -> [ReplyPart]? {
        guard let data, let array = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [Any] else { return nil }
        return array.compactMap { element in
            guard let part = element as? [String: Any], let type = part["type"] as? String, part["role"] as? String != "user" else { return nil }
            let body = fields(part["body"]).merging(part) { inline, _ in inline }
            if type == "text" { return (body["text"] as? String).map(ReplyPart.text) }
            guard type.hasPrefix("tool-"), let callId = body["toolCallId"] as? String else { return nil }
            return .tool(name: String(type.dropFirst("tool-".count)), callId: callId)
        }
    }

    private static func fields(_ body: Any?) -> [String: Any] {
        if let object = body as? [String: Any] { return object }
        guard let text = body as? String, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object
    }

    /// The parts an attempt's chunks (in seq order, each its JSON payload) make: one text part
    /// per `text-start`…`text-end` group with its deltas joined, one tool part per
    /// `tool-input-available`. A text group still open at the end counts as closed.
    static func parts(ofChunks chunks: [String?]) -> [ReplyPart] {
        var parts: [ReplyPart] = []
        var open: [(id: String, text: String)] = []
        for chunk in chunks {
            guard let data = chunk, let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                let type = object["type"] as? String
            else { continue }
            let id = object["id"] as? String ?? ""
            switch type {
            case "text-start":
                open.append((id, ""))
            case "text-delta":
                if let at = open.lastIndex(where: { $0.id == id }) { open[at].text += object["delta"] as? String ?? "" }
            case "text-end":
                if let at = open.lastIndex(where: { $0.id == id }) { parts.append(.text(open.remove(at: at).text)) }
            case "tool-input-available":
                if let callId = object["toolCallId"] as? String { parts.append(.tool(name: object["toolName"] as? String ?? "unknown", callId: callId)) }
            default:
                continue
            }
        }
        return parts + open.map { .text($0.text) }
    }

    static func < (lhs: ReplyPart, rhs: ReplyPart) -> Bool { lhs.description < rhs.description }
}
