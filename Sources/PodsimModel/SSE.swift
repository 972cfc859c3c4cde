/// Server-Sent-Events framing shared by the mock provider (writer), the pods (writer and reader)
/// and the scenario runner (reader).
public enum SSE {
    /// One `data:` frame; multi-line payloads become one `data:` line each. With `id`, an `id:`
    /// line comes first: the chunk's id, which a watcher reports beside the chunk.
    public static func frame(_ data: String, id: String? = nil) -> String {
        let idLine = id.map { "id: \($0)\n" } ?? ""
        if !data.contains("\n") { return "\(idLine)data: \(data)\n\n" }
        return idLine + data.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "data: \($0)\n" }.joined() + "\n"
    }

    /// A comment frame that keeps idle connections (and proxies) from timing out.
    public static let keepalive = ": keepalive\n\n"
}

/// One event decoded from an SSE byte stream.
public enum SSEEvent: Sendable, Equatable {
    /// A dispatched event's data, with the `id:` its frame carried (nil when it carried none).
    case data(String, id: String? = nil)
    case comment(String)
}

/// An incremental SSE decoder: feed it bytes as they arrive, take the complete events out.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var dataLines: [String] = []
    /// The `id:` seen since the last dispatched event.
    private var id: String?
    private var lastWasCR = false

    public init() {}

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n"), lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                endLine(into: &events)
            } else {
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if !dataLines.isEmpty {
                events.append(.data(dataLines.joined(separator: "\n"), id: id))
                dataLines.removeAll()
            }
            id = nil
            return
        }
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix(":") {
            events.append(.comment(String(text.dropFirst()).trimmingLeadingSpace()))
            return
        }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data": dataLines.append(String(value))
        case "id": id = String(value)
        default: break
        }
    }
}

extension String {
    fileprivate func trimmingLeadingSpace() -> String {
        first == " " ? String(dropFirst()) : self
    }
}
