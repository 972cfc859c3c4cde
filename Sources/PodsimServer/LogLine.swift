import Foundation

/// Writes one line to stdout unbuffered, so a supervisor tailing a child's log sees it at once.
public func logLine(_ message: String) {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    try? FileHandle.standardOutput.write(contentsOf: Data(line.utf8))
}
