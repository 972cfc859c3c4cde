/// The children this pod executes, by thread (the real RunRegistry): what a cancel aborts and
/// what the reaper scans.
actor HostedRuns {
    /// Aborts the child of `threadId` running on this pod as cancelled; false when none runs here.
    func cancel(threadId: String) -> Bool { false }
}
