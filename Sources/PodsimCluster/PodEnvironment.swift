import PodsimModel

/// The environment variables a pod reads as the real pods do (`STUDIO_SANDBOX_RUNNER`,
/// `STUDIO_DISPATCH_ROLE`, `PODSIM_LISTEN_QUEUES`), for the coordinator that launches pods and
/// for `podsim pod` started on its own (the compose stack).
public enum PodEnvironment {
    /// Fills in what the pod's environment decides: its sandbox runner, whether docker is
    /// available (`PODSIM_DOCKER_AVAILABLE=1`), its dispatch role and the queues it listens on.
    public static func apply(_ environment: [String: String], to configuration: inout PodConfiguration) throws {
        let pod = configuration.name
        configuration.sandboxRunner = try sandboxRunner(in: environment, pod: pod)
        configuration.dockerAvailable = environment["PODSIM_DOCKER_AVAILABLE"] == "1"
        configuration.dispatchRole = try dispatchRole(in: environment, pod: pod)
        configuration.listenQueues = try listenQueues(in: environment, pod: pod)
    }

    /// `STUDIO_DISPATCH_ROLE` as the real pods read it: unset or empty means `all`.
    static func dispatchRole(in environment: [String: String], pod: String) throws -> DispatchRole {
        guard let raw = environment["STUDIO_DISPATCH_ROLE"], !raw.isEmpty else { return .all }
        guard let role = DispatchRole(rawValue: raw) else {
            throw ClusterError.invalidRequest(
                "\(pod): STUDIO_DISPATCH_ROLE=\(raw) is not a dispatch role (expected \(DispatchRole.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return role
    }

    /// `PODSIM_LISTEN_QUEUES`: a comma-separated list of queue names pinning which hosted work a
    /// pod takes (within its role's queues); unset means every queue of its role.
    static func listenQueues(in environment: [String: String], pod: String) throws -> Set<HostedQueue> {
        let role = try dispatchRole(in: environment, pod: pod)
        guard let raw = environment["PODSIM_LISTEN_QUEUES"] else { return role.queues }
        var queues: Set<HostedQueue> = []
        for name in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let queue = HostedQueue(rawValue: name) else {
                throw ClusterError.invalidRequest(
                    "\(pod): PODSIM_LISTEN_QUEUES names \"\(name)\", not a queue (expected \(HostedQueue.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            queues.insert(queue)
        }
        return queues.intersection(role.queues)
    }

    /// `STUDIO_SANDBOX_RUNNER` as the real pods read it: unset or empty means none.
    static func sandboxRunner(in environment: [String: String], pod: String) throws -> SandboxKind? {
        guard let raw = environment["STUDIO_SANDBOX_RUNNER"], !raw.isEmpty else { return nil }
        guard let kind = SandboxKind(rawValue: raw) else {
            throw ClusterError.invalidRequest(
                "\(pod): STUDIO_SANDBOX_RUNNER=\(raw) is not a sandbox kind (expected \(SandboxKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }

}
