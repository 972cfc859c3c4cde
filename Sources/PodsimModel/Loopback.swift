import Foundation

/// Loopback addresses: every podsim server binds one, and every URL a client hands a pod to
/// call back must point at one, so nothing podsim does ever leaves the machine.
public enum Loopback {
    /// `localhost`, `::1` (bracketed or not) or a dotted-quad `127.x.x.x`.
    public static func isLoopbackHost(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { $0.count <= 3 && $0.allSatisfy { ("0"..."9").contains($0) } && UInt8($0) != nil }
    }

    /// The base URL `text` names if it is plain `http` to a loopback host, with an optional port
    /// and nothing else: no user info (which would hide the real host), path, query or fragment.
    /// Returned without a trailing slash, ready for a path to be appended.
    public static func baseURL(_ text: String) -> String? {
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "http",
            components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
            components.path.isEmpty || components.path == "/",
            let host = components.host, isLoopbackHost(host.lowercased())
        else { return nil }
        if let port = components.port, !(1...65_535).contains(port) { return nil }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
