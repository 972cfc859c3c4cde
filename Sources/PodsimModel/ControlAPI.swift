import Foundation

/// The kind of process a cluster runs.
public enum ProcessRole: String, Sendable, Codable {
    case pod
    case mockAI = "mock-ai"
    case linkDaemon = "link-daemon"
}

/// Where a supervised process stands.
public enum ProcessState: String, Sendable, Codable {
    case running, paused, stopped, exited
}

/// The bodies of the coordinator's control API (see the README's "Control API"), one type per
/// body, shared by `ControlServer` and `ControlClient`.
public enum ControlAPI {
    /// One supervised process, as `GET /processes` and every process operation report it.
    public struct ProcessStatus: Sendable, Codable, Equatable {
        public var name: String
        public var role: ProcessRole
        public var state: ProcessState
        public var pid: Int32?
        public var url: String
        public var log: String
        public var lastExit: String?

        public init(name: String, role: ProcessRole, state: ProcessState, pid: Int32?, url: String, log: String, lastExit: String?) {
            self.name = name
            self.role = role
            self.state = state
            self.pid = pid
            self.url = url
            self.log = log
            self.lastExit = lastExit
        }
    }

    /// `GET /processes`.
    public struct ProcessList: Sendable, Codable, Equatable {
        public var processes: [ProcessStatus]
        public init(processes: [ProcessStatus]) { self.processes = processes }
    }

    /// `POST /link-daemons`: every field optional.
    public struct StartLinkDaemon: Sendable, Codable, Equatable {
        public var name: String?
        public var apiKey: String?
        public var ttlMs: Int64?

        public init(name: String? = nil, apiKey: String? = nil, ttlMs: Int64? = nil) {
            self.name = name
            self.apiKey = apiKey
            self.ttlMs = ttlMs
        }
    }

    /// `POST /bus/faults`: a `BusFaultKind` on one pod (nil: every pod), lasting `forMs` (nil: until
    /// healed) or, for the counted kinds, used up by `count` operations (default 1).
    public struct BusFault: Sendable, Codable, Equatable {
        public var kind: String
        public var pod: String?
        public var forMs: Int64?
        public var count: Int?

        public init(kind: String, pod: String? = nil, forMs: Int64? = nil, count: Int? = nil) {
            self.kind = kind
            self.pod = pod
            self.forMs = forMs
            self.count = count
        }
    }

    /// The answer of every bus call: when it took effect (wall-clock ms), for `stampedAfter` checks.
    public struct BusApplied: Sendable, Codable, Equatable {
        public var at: Int64
        public init(at: Int64) { self.at = at }
    }

    /// The control API's errors: `{"error":{"message":"…"}}`.
    public struct ErrorEnvelope: Sendable, Codable, Equatable {
        public struct Detail: Sendable, Codable, Equatable {
            public var message: String
            public init(message: String) { self.message = message }
        }

        public var error: Detail
        public init(message: String) { error = Detail(message: message) }
    }
}

/// What `POST /processes/:name/:action` does to a process.
public enum ProcessAction: String, Sendable, Codable, CaseIterable {
    case kill, stop, start, pause, resume
}

/// The paths of the control API, written once for the server and the client.
public enum ControlPath {
    public static let processes = "/processes"
    public static let cluster = "/cluster"
    public static let linkDaemons = "/link-daemons"
    public static let busFaults = "/bus/faults"
    public static let busHeal = "/bus/heal"
    public static let busRestart = "/bus/restart"

    public static func process(_ name: String, _ action: ProcessAction) -> String {
        "/processes/\(PodPath.escaped(name))/\(action.rawValue)"
    }
}

/// The mock provider's control calls the runner and the tests make, and their paths.
public enum MockAIControl {
    /// `GET /control/calls/count?thread=…`.
    public struct CallCount: Codable, Sendable, Equatable {
        public var count: Int
        public init(count: Int) { self.count = count }
    }

    /// One call of `GET /control/calls`: who called, for which run, attempt and model step, and
    /// when it started and ended (the run's history shows provider calls from it).
    public struct Call: Codable, Sendable, Equatable {
        /// 1-based arrival order since the provider started or was reset.
        public var index: Int
        public var threadId: String?
        public var pod: String?
        /// The seed run id or the hosted turn's fence.
        public var run: String?
        public var attempt: Int?
        /// The 1-based model call within the attempt.
        public var step: Int?
        /// The last user message's text.
        public var hints: String
        /// Wall-clock milliseconds at arrival.
        public var startedAt: Int64
        /// Monotonic nanoseconds at arrival.
        public var startedNanos: Int64
        /// Monotonic nanoseconds when the response finished or failed; nil while it streams.
        public var endedNanos: Int64?
        /// The HTTP status the call was answered with.
        public var status: Int
        /// `text`, `tool_call`, `fail` or `cut`.
        public var kind: String
    }

    /// `GET /control/calls?thread=…`.
    public struct CallList: Codable, Sendable, Equatable {
        public var calls: [Call]
    }

    /// `POST /control/gates/:name/release`.
    public struct GateReleased: Codable, Sendable, Equatable {
        public var released: String
        public init(released: String) { self.released = released }
    }

    public static func callsPath(thread: String?) -> String {
        var components = URLComponents()
        components.path = "/control/calls"
        if let thread { components.queryItems = [URLQueryItem(name: "thread", value: thread)] }
        return components.string ?? "/control/calls"
    }

    public static func callCountPath(thread: String) -> String {
        var components = URLComponents()
        components.path = "/control/calls/count"
        components.queryItems = [URLQueryItem(name: "thread", value: thread)]
        return components.string ?? "/control/calls/count"
    }

    public static func releasePath(gate: String) -> String { "/control/gates/\(PodPath.escaped(gate))/release" }
    /// `POST /control/reset`: forgets every call and gate.
    public static let resetPath = "/control/reset"
}

/// The account a link daemon registered for (reported in cluster.json).
public struct LinkAccount: Sendable, Codable, Equatable {
    public var orgSlug: String?
    public var userId: String?
    public var apiKey: String

    public init(orgSlug: String? = nil, userId: String? = nil, apiKey: String) {
        self.orgSlug = orgSlug
        self.userId = userId
        self.apiKey = apiKey
    }
}

/// The `cluster.json` document (also `GET /cluster`): a stable shape tools read.
public struct ClusterDescription: Codable, Sendable, Equatable {
    public struct Endpoint: Codable, Sendable, Equatable {
        public var url: String
        public init(url: String) { self.url = url }
    }

    public struct Pod: Codable, Sendable, Equatable {
        public var name: String
        public var url: String
        public var pid: Int32?
        public init(name: String, url: String, pid: Int32?) {
            self.name = name
            self.url = url
            self.pid = pid
        }
    }

    public struct LinkDaemon: Codable, Sendable, Equatable {
        public var name: String
        public var url: String
        public var pid: Int32?
        public var account: LinkAccount?
        public init(name: String, url: String, pid: Int32?, account: LinkAccount?) {
            self.name = name
            self.url = url
            self.pid = pid
            self.account = account
        }
    }

    public var stateDir: String
    public var store: String
    public var mockAI: Endpoint
    public var control: Endpoint?
    public var pods: [Pod]
    public var linkDaemons: [LinkDaemon]
    public var bugs: [String]
    /// The server profile the pods simulate (absent in files written before profiles existed: `seed`).
    public var profile: String?
    /// What the cluster was started with (absent in files written before `--target` existed).
    public var settings: ClusterSettings?

    public init(
        stateDir: String, store: String, mockAI: Endpoint, control: Endpoint?, pods: [Pod], linkDaemons: [LinkDaemon], bugs: [String],
        profile: String? = nil, settings: ClusterSettings? = nil
    ) {
        self.profile = profile
        self.settings = settings
        self.stateDir = stateDir
        self.store = store
        self.mockAI = mockAI
        self.control = control
        self.pods = pods
        self.linkDaemons = linkDaemons
        self.bugs = bugs
    }
}
