import Foundation
import PodsimModel

/// The bodies the hosted profile publishes on a thread's subject, byte for byte as the real
/// server writes them, and the message ids that fence them. One place, so the POST route, the
/// gate and the child publish identical frames.
enum HostedFrames {
    /// The `data-run-status` stages, in order of first appearance.
    enum Stage: String, Sendable, CaseIterable {
        case waitingRunner = "waiting-runner"
        case startingRun = "starting-run"
        case waitingCapacity = "waiting-capacity"
        case gatheringContext = "gathering-context"
        case preparingTools = "preparing-tools"
        case startingAssistant = "starting-assistant"
        case analyzingScope = "analyzing-scope"
    }

    /// `{"type":"data-run-status","id":"run-status","data":{"stage":"<S>"}}`: unfenced, no msgId, no seq.
    static func stage(_ stage: Stage) -> String {
        #"{"type":"data-run-status","id":"run-status","data":{"stage":"\#(stage.rawValue)"}}"#
    }

    /// The frame an accepted POST publishes when the thread has no run in progress.
    static let waitingRunner = stage(.waitingRunner)

    /// The user mirror `prepareRun` publishes after the purge (unfenced).
    static func userMessage(id: String, text: String) -> String {
        #"{"type":"data-user-message","data":{"id":\#(quoted(id)),"role":"user","parts":[{"type":"text","text":\#(quoted(text))}]}}"#
    }

    /// The liveness heartbeat, published as a fenced chunk after a silence of the model.
    static func liveness(at millis: Int64) -> String {
        #"{"type":"data-liveness","data":{"t":\#(millis)},"transient":true}"#
    }

    /// The fenced done marker after the last chunk `finalSeq`.
    static func done(finalSeq: Int) -> String {
        #"{"done":true,"finalSeq":\#(finalSeq)}"#
    }

    /// Whether a body is a done marker (the fenced `{"done":true,"finalSeq":N}` or a legacy
    /// `{"done":…}`), which `/stream` never forwards.
    static func isDoneMarker(_ body: String) -> Bool {
        guard body.contains(#""done""#),
            case .object(let members) = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
        else { return false }
        return members["done"] != nil && members["type"] == nil
    }

    /// `<threadId>:<fence>:<seq>`; with an attempt (the `dedup-after-purge` candidate fix),
    /// `<threadId>:<fence>:r<attempt>:<seq>`, so a recovered attempt's ids are new to the bus.
    static func chunkID(threadId: String, fence: String, attempt: Int? = nil, seq: Int) -> String {
        "\(threadId):\(fence):\(attemptTag(attempt))\(seq)"
    }

    /// `<threadId>:<fence>:done:<finalSeq>` (with an attempt, `<threadId>:<fence>:r<attempt>:done:<finalSeq>`).
    static func doneID(threadId: String, fence: String, attempt: Int? = nil, finalSeq: Int) -> String {
        "\(threadId):\(fence):\(attemptTag(attempt))done:\(finalSeq)"
    }

    private static func attemptTag(_ attempt: Int?) -> String { attempt.map { "r\($0):" } ?? "" }

    /// What a fenced message id of `fence` names; nil for another fence or no id.
    enum FencedID: Equatable {
        case chunk(seq: Int)
        case done(finalSeq: Int)
    }

    /// Reads both id forms: with and without the attempt tag.
    static func parse(msgId: String?, threadId: String, fence: String) -> FencedID? {
        let prefix = "\(threadId):\(fence):"
        guard let msgId, msgId.hasPrefix(prefix) else { return nil }
        var rest = msgId.dropFirst(prefix.count)
        if rest.first == "r", let colon = rest.firstIndex(of: ":"), Int(rest.dropFirst().prefix(upTo: colon)) != nil {
            rest = rest[rest.index(after: colon)...]
        }
        if rest.hasPrefix("done:") { return Int(rest.dropFirst("done:".count)).map { .done(finalSeq: $0) } }
        return Int(rest).map { .chunk(seq: $0) }
    }

    /// The `finalSeq` of a done marker's body, nil when the body is not a done marker.
    static func finalSeq(ofDoneBody body: String) -> Int? {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)), value["done"] == .bool(true),
            let finalSeq = value["finalSeq"]?.numberValue
        else { return nil }
        return Int(finalSeq)
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        String(decoding: (try? encoder.encode(text)) ?? Data(#""""#.utf8), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}
