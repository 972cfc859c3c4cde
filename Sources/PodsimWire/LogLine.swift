import Foundation

/// Writes one line to stdout unbuffered, so a supervisor tailing a child's log sees it at once.
public func logLine(_ message: String) {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    FileHandle.standardOutput.write(Data(line.utf8))
}
