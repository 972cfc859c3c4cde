import Foundation
import PodsimModel

/// The bodies the hosted profile publishes on a thread's subject besides the AI SDK chunks
/// (spec 2.4), written out in one place so the routes and the engine publish identical bytes and
/// the stream recognises what it must swallow.
enum SubjectFrames {
    /// The run-status stages a decopilot turn publishes, in order of first appearance.
    enum Stage: String, Sendable, CaseIterable {
        case waitingRunner = "waiting-runner"
        case startingRun = "starting-run"
        case waitingCapacity = "waiting-capacity"
        case gatheringContext = "gathering-context"
        case preparingTools = "preparing-tools"
        case startingAssistant = "starting-assistant"
        case analyzingScope = "analyzing-scope"
    }

    /// `{"type":"data-run-status","id":"run-status","data":{"stage":"<S>"}}`: unfenced, no seq.
    static func runStatus(_ stage: Stage) -> String {
        #"{"type":"data-run-status","id":"run-status","data":{"stage":"\#(stage.rawValue)"}}"#
    }

    /// The user mirror the child publishes after its purge: the persisted message, text parts only.
    static func userMessage(id: String, text: String) -> String {
        #"{"type":"data-user-message","data":{"id":\#(json(id)),"role":"user","parts":[{"type":"text","text":\#(json(text))}]}}"#
    }

    /// The liveness heartbeat, a fenced chunk sent after a stretch of provider silence.
    static func liveness(atMillis millis: Int64) -> String {
        #"{"type":"data-liveness","data":{"t":\#(millis)},"transient":true}"#
    }

    /// The fenced done marker that ends a run's stream: `{"done":true,"finalSeq":N}`.
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

    /// A string as a JSON literal.
    private static func json(_ string: String) -> String {
        String(decoding: (try? encoder.encode(string)) ?? Data(#""""#.utf8), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}
