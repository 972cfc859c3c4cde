/// Where a thread's sandbox lives, as the real `sandboxProviderKind` column names it.
public enum SandboxKind: String, CaseIterable, Sendable, Codable {
    /// A container next to the pod; needs docker to be available to the pod.
    case docker
    /// The user's own machine, reached through their link daemon.
    case remoteUser = "remote-user"
    /// A hosted sandbox; always available.
    case agentSandbox = "agent-sandbox"
}
