import Foundation

/// Resident memory of a process as Linux reports it in `/proc/<pid>/status`.
public struct ProcessMemory: Codable, Sendable, Equatable {
    /// Current resident set size (VmRSS), MiB.
    public var rssMiB: Double
    /// Peak resident set size since the process started (VmHWM), MiB.
    public var peakMiB: Double
    /// The private, anonymous part of the RSS (heap, stacks): what this process alone costs, MiB.
    public var anonymousMiB: Double
    /// The file-backed part (the binary's and shared libraries' pages, shared with every other
    /// process of the same binary), MiB.
    public var fileMiB: Double
    /// Proportional set size: private pages plus this process's share of pages it shares with
    /// others (from `/proc/<pid>/smaps_rollup`; 0 when unreadable), MiB.
    public var proportionalMiB: Double

    /// Reads a live process's memory; nil when the process is gone.
    static func read(pid: Int32) -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var fields: [Substring: Double] = [:]
        for line in status.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon]] = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).first.flatMap { Double($0) }
        }
        guard let rss = fields["VmRSS"], let peak = fields["VmHWM"] else { return nil }
        return ProcessMemory(
            rssMiB: rss / 1024, peakMiB: peak / 1024, anonymousMiB: (fields["RssAnon"] ?? 0) / 1024, fileMiB: (fields["RssFile"] ?? 0) / 1024,
            proportionalMiB: (proportionalKiB(pid: pid) ?? 0) / 1024)
    }

    private static func proportionalKiB(pid: Int32) -> Double? {
        guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        let line = rollup.split(separator: "\n").first { $0.hasPrefix("Pss:") }
        return line?.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Double($0) }
    }
}
