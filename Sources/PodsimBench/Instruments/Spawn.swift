#if canImport(Glibc)
import Glibc
#endif

/// A child process started with plain `posix_spawn`: no pipes, no supervision, nothing between
/// the bench and the kernel. The boot floor times exactly this; the memory section uses it to run
/// a real `podsim up` coordinator.
struct Spawned {
    let pid: pid_t

    /// Starts `executable arguments…` with stdout and stderr appended to `outputPath`.
    static func start(_ executable: String, _ arguments: [String], outputPath: String = "/dev/null") throws -> Spawned {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw BenchError("could not spawn \(executable): \(String(cString: strerror(result)))") }
        return Spawned(pid: pid)
    }

    /// Blocks until the child exits; returns its wait status.
    @discardableResult
    func waitBlocking() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }

    /// Sends SIGTERM and waits up to `grace` for the exit, then SIGKILLs and reaps.
    func terminate(grace: Duration) async {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
        kill(pid, SIGKILL)
        waitBlocking()
    }
}
