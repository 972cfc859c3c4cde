/// Writes one JSON object on one line with its keys in the order given: a history line reads
/// `t`, `wall`, `kind` first, and writing it costs no reflection.
struct JSONLine {
    private(set) var text = "{"

    mutating func add(_ key: String, _ value: String?) {
        guard let value else { return }
        separate(key)
        Self.quote(value, into: &text)
    }

    mutating func add(_ key: String, _ value: Int64?) {
        guard let value else { return }
        separate(key)
        text += String(value)
    }

    mutating func add(_ key: String, _ value: Int?) {
        add(key, value.map(Int64.init))
    }

    mutating func add(_ key: String, _ values: [String]) {
        separate(key)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            Self.quote(value, into: &text)
        }
        text += "]"
    }

    mutating func close() -> String {
        text += "}"
        return text
    }

    private mutating func separate(_ key: String) {
        if text.utf8.count > 1 { text += "," }
        text += "\"\(key)\":"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quote(_ value: String, into text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

extension HistoryHeader {
    /// The header as its line of `history.jsonl`.
    var jsonLine: String {
        var line = JSONLine()
        line.add("kind", kind)
        line.add("format", format)
        line.add("scenario", scenario)
        line.add("file", file)
        line.add("profile", profile)
        line.add("pods", pods)
        line.add("bugs", bugs)
        line.add("fixes", fixes)
        line.add("processes", processes)
        line.add("startedAt", startedAt)
        return line.close()
    }
}

extension HistoryEvent {
    /// The event as its line of `history.jsonl`: fields in the order the README lists them,
    /// absent ones left out.
    var jsonLine: String {
        var line = JSONLine()
        line.add("t", t)
        line.add("wall", wall)
        line.add("kind", kind.rawValue)
        line.add("process", process)
        line.add("end", end)
        line.add("caller", caller)
        line.add("watcher", watcher)
        line.add("op", op)
        line.add("thread", thread)
        line.add("message", message)
        line.add("run", run)
        line.add("attempt", attempt)
        line.add("seq", seq)
        line.add("id", id)
        line.add("chunk", chunk)
        line.add("delta", delta)
        line.add("data", data)
        line.add("method", method)
        line.add("path", path)
        line.add("status", status)
        line.add("error", error)
        line.add("action", action)
        line.add("target", target)
        line.add("state", state)
        line.add("workflow", workflow)
        line.add("reason", reason)
        line.add("step", step)
        line.add("count", count)
        line.add("label", label)
        line.add("location", location)
        return line.close()
    }
}
