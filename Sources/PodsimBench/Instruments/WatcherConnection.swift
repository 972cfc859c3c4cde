#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One SSE frame a watcher received, stamped with the wall-clock time its bytes left `recv`.
struct ReceivedFrame: Sendable {
    var data: String
    var receivedAt: Double

    /// True for the frame that ends a run: the stream stays open across runs, so a watcher
    /// stops reading once it has seen it. (A plain byte search: the generic string searches
    /// cost more than the rest of the watcher's work per frame.)
    var isFinish: Bool {
        var data = data
        return data.withUTF8 { bytes in
            let marker = Self.finishMarker
            guard let base = bytes.baseAddress, bytes.count >= marker.count else { return false }
            for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
                if memcmp(base + start, marker, marker.count) == 0 { return true }
            }
            return false
        }
    }

    private static let finishMarker = Array(#""type":"finish""#.utf8)
}

/// One watcher's HTTP/1.1 connection to a pod's stream, spoken over a plain socket: the request
/// is written by hand, the response head parsed once, and the body undone from chunked coding
/// and SSE framing as bytes arrive. Owned by one thread; never shared.
struct WatcherConnection {
    let fd: Int32
    private(set) var frames: [ReceivedFrame] = []
    private(set) var finished = false
    private var body: ChunkedDecoder
    private var splitter = SSEFrameSplitter()
    private var payload: [UInt8] = []

    /// A watcher whose GET is sent and whose response head is still on its way.
    struct Opening {
        /// Which of the fleet's URLs it watches.
        let index: Int
        let socket: LoopbackSocket
        private var received: [UInt8] = []

        /// Connects and sends the GET.
        init(index: Int, url: String, headers: [String: String]) throws {
            let socket = try LoopbackSocket(url: url)
            do {
                let components = URLComponents(string: url)
                let path = (components?.percentEncodedPath ?? "/") + (components?.percentEncodedQuery.map { "?\($0)" } ?? "")
                try socket.sendGet(path, headers: headers.merging(["accept": "text/event-stream"]) { $1 })
                socket.setNonBlocking()
            } catch {
                socket.close()
                throw error
            }
            self.index = index
            self.socket = socket
        }

        /// Reads what arrived; returns the streaming connection once the head is in. Throws
        /// unless the pod answered 200 (the caller closes the socket).
        mutating func receive() throws -> WatcherConnection? {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return nil }
            guard count > 0 else { throw BenchError("127.0.0.1:\(socket.port) closed before its response head") }
            received.append(contentsOf: chunk[..<count])
            guard let (status, lines, rest) = LoopbackSocket.head(in: received) else { return nil }
            guard status == 200 else { throw BenchError("GET stream on 127.0.0.1:\(socket.port) answered \(status)") }
            let chunked = lines.contains { $0.replacingOccurrences(of: " ", with: "") == "transfer-encoding:chunked" }
            var connection = WatcherConnection(fd: socket.fd, body: ChunkedDecoder(chunked: chunked))
            rest.withUnsafeBytes { connection.receive($0, at: preciseWallClockMillis()) }
            return connection
        }
    }

    /// Reads what the socket has; returns false once there is nothing more to read from it
    /// (finish frame seen, body over, or connection gone).
    mutating func readAvailable(into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let count = recv(fd, buffer.baseAddress, buffer.count, 0)
        if count > 0 {
            receive(UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: preciseWallClockMillis())
            return !finished
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        return false
    }

    private mutating func receive(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        payload.removeAll(keepingCapacity: true)
        body.feed(bytes, into: &payload)
        payload.withUnsafeBytes { bytes in
            splitter.feed(bytes) { data in
                guard !finished else { return }
                let frame = ReceivedFrame(data: data, receivedAt: time)
                frames.append(frame)
                finished = frame.isFinish
            }
        }
        if body.isDone { finished = true }
    }

    func close() {
        Glibc.close(fd)
    }
}
