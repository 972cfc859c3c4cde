#if canImport(Glibc)
import Glibc
#endif

/// Colour for the console report: on a terminal only, and never when `NO_COLOR` is set
/// (no-color.org) or the terminal is `dumb`. Piped output (CI logs, files) stays plain text.
public struct ConsolePaint: Sendable, Equatable {
    public var enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public static let plain = ConsolePaint(enabled: false)

    /// Colour when `isTerminal` and the environment does not turn it off.
    public static func deciding(isTerminal: Bool, environment: [String: String]) -> ConsolePaint {
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return ConsolePaint(enabled: isTerminal && !noColor && environment["TERM"] != "dumb")
    }

    /// For what this process writes to standard output.
    public static func forStandardOutput(environment: [String: String]) -> ConsolePaint {
        deciding(isTerminal: isatty(STDOUT_FILENO) == 1, environment: environment)
    }

    public func passed(_ text: String) -> String { sgr("32", text) }
    public func failed(_ text: String) -> String { sgr("31", text) }
    public func skipped(_ text: String) -> String { sgr("33", text) }
    public func bold(_ text: String) -> String { sgr("1", text) }

    private func sgr(_ code: String, _ text: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
