import Foundation
import PodsimModel

/// `classifyRunFailure(errorText)`: turns a child's error text into the thread's failure record
/// (spec 3.8). The patterns are tried in order and the first match wins; anything else is `error`.
enum FailureClassifier {
    struct Failure: Equatable, Sendable {
        let kind: String
        let reason: String
    }

    private static let rules: [(pattern: NSRegularExpression, failure: Failure)] = [
        (#"\[CREDITS\]|requires more credits|\b402\b"#, Failure(kind: "credits", reason: "Run stopped: the organization is out of AI credits")),
        (#"\[SANDBOX_UNREACHABLE\]|sandbox stream broke|Daemon unreachable"#,
         Failure(kind: "sandbox_unreachable", reason: "Run stopped: its sandbox became unreachable mid-run")),
        (#"^\s*(error:\s*)?cancelled\b|run cancelled"#, cancelled),
        (#"\boverloaded\b|\brate.?limit|\b429\b"#,
         Failure(kind: "overloaded", reason: "Run stopped: the model provider was overloaded or rate-limited")),
        (#"context (length|window)|too many tokens|maximum context"#,
         Failure(kind: "context_length", reason: "Run stopped: the conversation exceeded the model's context window")),
        (#"\bAPI Error\b|\b5\d{2}\b.*provider|provider returned"#,
         Failure(kind: "model_error", reason: "Run stopped: the model provider rejected the request")),
        (#"\boperation timed out\b|\btimed out\b|\bETIMEDOUT\b"#,
         Failure(kind: "timeout", reason: "Run stopped: an operation it was waiting on timed out")),
    ].map { (try! NSRegularExpression(pattern: $0.0, options: [.caseInsensitive]), $0.1) }

    /// The record a user cancel leaves (the reactor's `cancelled` path).
    static let cancelled = Failure(kind: "cancelled", reason: "Run cancelled before it finished")
    static let fallback = Failure(kind: "error", reason: "Run ended with an error — see the run's messages")

    /// The record under `unclassified-failures` (before #6153): always `fallback`.
    static func classify(_ errorText: String, configuration: PodConfiguration) -> Failure {
        configuration.has(.unclassifiedFailures) ? fallback : classify(errorText)
    }

    static func classify(_ errorText: String) -> Failure {
        let range = NSRange(errorText.startIndex..., in: errorText)
        return rules.first { $0.pattern.firstMatch(in: errorText, range: range) != nil }?.failure ?? fallback
    }
}
