#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Child processes call this so they never outlive the coordinator that started them: when the
/// parent pid changes (the coordinator died, even by SIGKILL), the child exits at once.
public func exitWhenOrphaned(parent: Int32, name: String) async {
    while !Task.isCancelled {
        if getppid() != parent {
            logLine("\(name): coordinator \(parent) is gone; exiting")
            exit(0)
        }
        try? await Task.sleep(for: .milliseconds(200))
    }
}
