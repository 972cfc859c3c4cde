import Foundation
import PodsimCheckers
import PodsimModel

/// The JSON Schema of scenario files (`podsim schema`, committed as
/// `Scenarios/scenario.schema.json`), built from the same key lists the parser reads, so that
/// editors running yaml-language-server complete and document scenario files. Each step kind
/// takes its own options (`ScenarioParser.stepOptions`); the parser stays the judge of values.
public enum ScenarioSchema {
    /// The schema as pretty-printed JSON with sorted keys (byte-for-byte stable).
    public static func json() -> String {
        let data = try! JSONSerialization.data(withJSONObject: schema, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static let durationPattern = #"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ms|s|m)$"#

    static var schema: [String: Any] {
        [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "podsim scenario",
            "description": "One podsim scenario: the cluster it boots, the bugs it guards, and its steps (README: Scenario files).",
            "type": "object",
            "additionalProperties": false,
            "required": ["steps"],
            "properties": [
                "name": described(["type": "string"], "The scenario's name; defaults to the file's path below the directory run."),
                "description": described(["type": "string"], "Free text."),
                "guards": described(list(enumOf(BugSwitch.allCases.map(\.rawValue))), "Bug switches this scenario must catch (podsim bugs); podsim prove checks it."),
                "reproduces": described(list(enumOf(OpenBug.allCases.map(\.rawValue))), "Open bugs whose real-server outcome this scenario asserts; podsim prove also runs it with each one's --fix and requires it to fail."),
                "cluster": cluster,
                "checks": checks,
                "timeout": described(["$ref": "#/$defs/duration"], "The whole scenario's limit (default 60s)."),
                "steps": described(["type": "array", "minItems": 1, "items": ["$ref": "#/$defs/step"]], "The steps, run in order."),
            ],
            "$defs": [
                "duration": described(["type": "string", "pattern": durationPattern], "A duration: 250ms, 2s, 1.5s or 1m (at most 1440m)."),
                "step": step,
            ],
        ]
    }

    static var cluster: [String: Any] {
        var properties: [String: Any] = [
            "profile": described(enumOf(ServerProfile.allCases.map(\.rawValue)), "The server era the pods simulate (default seed, or run --profile)."),
            "pods": described(["type": "integer", "minimum": 1, "maximum": 64], "How many pods (default 3)."),
            "env": described(["type": "object", "additionalProperties": ["type": "string"]], "Environment of every pod, e.g. STUDIO_SANDBOX_RUNNER: docker."),
            "podEnv": described(
                ["type": "object", "additionalProperties": ["type": "object", "additionalProperties": ["type": "string"]]],
                "Environment per pod: pod-2: {KEY: value}."),
            "bugs": described(list(enumOf(BugSwitch.allCases.map(\.rawValue))), "Bug switches on for this scenario."),
            "fixes": described(list(enumOf(OpenBug.allCases.map(\.rawValue))), "Candidate fixes of open bugs on for this scenario."),
            "runCap": described(["type": "integer", "minimum": 1, "maximum": 64], "Hosted: runs a pod executes at once (default 3)."),
        ]
        for knob in ScenarioParser.clusterKeys where properties[knob] == nil {
            let profile = ScenarioParser.seedKnobs.contains(knob) ? "Seed only: " : ScenarioParser.hostedKnobs.contains(knob) ? "Hosted only: " : ""
            properties[knob] = described(["$ref": "#/$defs/duration"], profile + "the \(knob) timing knob (README: the cluster block).")
        }
        return described(["type": "object", "additionalProperties": false, "properties": properties], "The cluster to boot; every scenario gets a fresh one.")
    }

    static var checks: [String: Any] {
        let skip: [String: Any] = [
            "type": "object",
            "propertyNames": enumOf(CheckerName.allCases.map(\.rawValue)),
            "additionalProperties": ["type": "string", "minLength": 1],
        ]
        return described(
            ["type": "object", "additionalProperties": false, "properties": ["skip": described(skip, "Checkers to turn off, each with its reason.")]],
            "Which checkers judge this scenario's history (all, by default).")
    }

    /// What a step's keys mean: its kind (the first key) and the options it may take.
    static let stepDescriptions: [String: String] = [
        "bootstrap": "Creates an org, user, API key and session cookie: a caller.",
        "agent": "Creates an agent.",
        "thread": "Creates a thread (agent: required).",
        "send": "POST …/messages with this text (mock hints go here); expects 202 unless expect: says otherwise.",
        "request": "Any HTTP call: METHOD /path.",
        "attach": "Opens a background SSE watcher on a thread.",
        "detach": "Closes a watcher.",
        "await": "Waits until a watcher's frames satisfy the conditions.",
        "check": "Asserts once.",
        "eventually": "Polls until the check holds.",
        "stable": "The check must hold for the whole window (for:).",
        "kill": "SIGKILLs a process.", "stop": "SIGTERMs a process and waits.", "start": "Starts a stopped process again.",
        "pause": "SIGSTOPs a process.", "resume": "SIGCONTs a process.", "restart": "Stops and starts a process.",
        "owner": "Waits until the thread runs and captures the pod (into:).",
        "link-daemon": "Seed only: starts a link daemon for the caller.",
        "bus": "Hosted only: a fault on the stream bus, or heal / restart.",
        "release": "Releases a mock hold: gate.",
        "record": "Stores the current wall-clock time (ms).",
        "wait": "Sleeps; prefer eventually or await.",
        "parallel": "Runs the steps concurrently and joins them.",
        "repeat": "Runs its steps (steps:) in order this many times (1-\(ScenarioParser.repeatLimit)); index: names the iteration, 1 to N.",
        "within": "Runs its steps (steps:) in order; they must all end within this duration, else the block fails.",
    ]

    /// Every option of every step kind.
    static var optionKeys: [String] { Array(Set(ScenarioParser.stepOptions.values.joined())).sorted() }

    static var step: [String: Any] {
        var properties: [String: Any] = [:]
        for key in ScenarioParser.stepKeys { properties[key] = ["description": stepDescriptions[key] ?? key] }
        properties["parallel"] = described(["type": "array", "items": ["$ref": "#/$defs/step"]], stepDescriptions["parallel"]!)
        properties["bus"] = described(enumOf(BusStep.Action.allCases.map(\.rawValue)), stepDescriptions["bus"]!)
        properties["wait"] = described(["$ref": "#/$defs/duration"], stepDescriptions["wait"]!)
        properties["repeat"] = described(["type": "integer", "minimum": 1, "maximum": ScenarioParser.repeatLimit], stepDescriptions["repeat"]!)
        properties["within"] = described(["$ref": "#/$defs/duration"], stepDescriptions["within"]!)
        properties["steps"] = described(["type": "array", "minItems": 1, "items": ["$ref": "#/$defs/step"]], "The steps of a repeat or within block.")
        properties["index"] = described(["type": "string"], "repeat: the variable that holds the iteration, 1 to N (${i}).")
        let notIn: [String: Any] = ["anyOf": [["type": "string"], ["type": "array", "minItems": 1, "items": ["type": "string"]]]]
        properties["on"] = described(
            ["anyOf": [["type": "string"], ["type": "object", "additionalProperties": false, "required": ["notIn"], "properties": ["notIn": notIn]]]],
            "The process the step talks to: pod-2, mock-ai, \"${o}\", any (the first running pod), or {notIn: [pods]} (the first running pod not listed).")
        properties["capture"] = described(
            ["type": "object", "additionalProperties": ["type": "string"]],
            "Stores values in variables: {var: body.path}, {var: header.NAME} (a response header), or a thread check's {var: field}.")
        for key in optionKeys where properties[key] == nil { properties[key] = ["description": "Step option \(key) (README: Steps)."] }
        // One alternative per kind: its key and the options it takes, nothing else.
        let kinds: [[String: Any]] = ScenarioParser.stepKeys.map { kind in
            let keys = [kind] + (ScenarioParser.stepOptions[kind] ?? [])
            return [
                "type": "object", "required": [kind], "additionalProperties": false,
                "properties": Dictionary(uniqueKeysWithValues: keys.map { ($0, properties[$0] ?? [:]) }),
            ]
        }
        return described(
            ["oneOf": kinds],
            "One step: its first key names its kind (\(ScenarioParser.stepKeys.joined(separator: ", "))); the others are its options.")
    }

    private static func described(_ schema: [String: Any], _ description: String) -> [String: Any] {
        schema.merging(["description": description]) { $1 }
    }

    private static func list(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    private static func enumOf(_ values: [String]) -> [String: Any] { ["type": "string", "enum": values] }
}
