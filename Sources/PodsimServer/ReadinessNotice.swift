#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child's word to the coordinator that it now listens: one loopback UDP datagram holding the
/// child's pid, sent to the port the coordinator gave it. The coordinator then probes the child's
/// liveness at once instead of polling a port nobody listens on yet; the probe, not this notice,
/// decides that the child is live, so a lost datagram only delays the boot.
public enum ReadinessNotice {
    /// Sends this process's pid to 127.0.0.1:`port`; nothing when there is no port (a child not
    /// started by a coordinator).
    public static func send(toPort port: Int?) {
        guard let port else { return }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let payload = Array(String(getpid()).utf8)
        var address = sockaddr_in.loopback(port: port)
        _ = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The pid a notice carries, if `payload` is one.
    public static func pid(in payload: some Collection<UInt8>) -> Int32? {
        Int32(String(decoding: payload, as: UTF8.self))
    }
}
