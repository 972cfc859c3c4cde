/// Undoes HTTP/1.1 chunked transfer coding incrementally: feed it the body bytes as they arrive,
/// get back the payload bytes. A body without chunked coding passes through unchanged.
struct ChunkedDecoder {
    private enum State {
        /// Reading the hexadecimal size line.
        case size(Int)
        /// Inside a chunk with this many payload bytes left.
        case data(Int)
        /// Skipping the CRLF after a chunk's payload.
        case dataEnd
        /// The zero-size chunk arrived: the body is over.
        case done
        /// Not chunked: everything is payload.
        case passThrough
    }

    private var state: State
    private var sawExtension = false

    init(chunked: Bool) {
        state = chunked ? .size(0) : .passThrough
    }

    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, into payload: inout [UInt8]) {
        var index = 0
        while index < bytes.count {
            switch state {
            case .passThrough:
                payload.append(contentsOf: bytes[index...])
                return
            case .done:
                return
            case .size(let size):
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\n") {
                    state = size == 0 ? .done : .data(size)
                    sawExtension = false
                } else if byte == UInt8(ascii: ";") || byte == UInt8(ascii: "\r") {
                    sawExtension = true
                } else if !sawExtension, let digit = Self.hexValue(byte) {
                    state = .size(size * 16 + digit)
                }
            case .data(let remaining):
                let take = min(remaining, bytes.count - index)
                payload.append(contentsOf: bytes[index..<(index + take)])
                index += take
                state = remaining == take ? .dataEnd : .data(remaining - take)
            case .dataEnd:
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\n") { state = .size(0) }
            }
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
