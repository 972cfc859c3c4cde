/// Splits a pod's SSE body into `data:` payloads without generic dispatch or per-byte copies.
///
/// PodsimWire's `SSEParser` is the general decoder; it is generic over any byte sequence and, called
/// from another module, runs unspecialized — a thousand watchers then spend more of the machine on
/// witness calls than the pods spend serving them. This handles exactly what pods send: `data:`
/// lines (their `id:` lines are skipped) and comments, frames ended by a blank line, `\n` or
/// `\r\n` line ends.
struct SSEFrameSplitter {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false

    private static let dataField = Array("data:".utf8)

    /// Feeds bytes; hands every completed frame's payload to `emit`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (String) -> Void) {
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                line.append(contentsOf: bytes[start...])
                return
            }
            line.append(contentsOf: bytes[start..<newline])
            endLine(emit)
            start = newline + 1
        }
    }

    private mutating func endLine(_ emit: (String) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.isEmpty {
            if hasData { emit(String(decoding: data, as: UTF8.self)) }
            data.removeAll(keepingCapacity: true)
            hasData = false
            return
        }
        guard line.starts(with: Self.dataField) else { return }
        var start = Self.dataField.count
        if start < line.count && line[start] == UInt8(ascii: " ") { start += 1 }
        if hasData { data.append(UInt8(ascii: "\n")) }
        data.append(contentsOf: line[start...])
        hasData = true
    }
}
