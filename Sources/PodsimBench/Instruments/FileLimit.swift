#if canImport(Glibc)
import Glibc
#endif

/// The bench's soft limit on open files, raised when a section needs more descriptors than it
/// allows: the fan-out's watchers each hold a socket in the bench (and a third of them one in
/// each pod, which inherit the limit when booted after the raise). The hard limit is the ceiling.
enum FileLimit {
    static func raise(toAtLeast needed: Int) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        guard limit.rlim_cur < rlim_t(needed) else { return }
        guard limit.rlim_max >= rlim_t(needed) else {
            throw BenchError("\(needed) open files needed, but the hard limit is \(limit.rlim_max) (ulimit -Hn)")
        }
        limit.rlim_cur = rlim_t(needed)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw BenchError("setrlimit(RLIMIT_NOFILE, \(needed)): \(String(cString: strerror(errno)))")
        }
    }
}
