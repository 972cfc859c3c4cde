import Foundation

/// JUnit XML as CI systems read it: one `testcase` per scenario run, a `failure` element with
/// the console report for each failure.
public enum JUnitReport {
    public static func xml(_ results: [ScenarioResult], suiteName: String = "podsim", seconds: Double) -> String {
        let failures = results.filter { !$0.passed }.count
        let skipped = results.filter { $0.skipped != nil }.count
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<testsuites name="\#(escape(suiteName))" tests="\#(results.count)" failures="\#(failures)" errors="0" time="\#(time(seconds))">"# + "\n"
        xml += #"  <testsuite name="\#(escape(suiteName))" tests="\#(results.count)" failures="\#(failures)" errors="0" skipped="\#(skipped)" time="\#(time(seconds))">"# + "\n"
        for result in results {
            let name = result.name + (result.repetition.map { " #\($0)" } ?? "")
                + (result.bugs.isEmpty ? "" : " [bug: \(result.bugs.joined(separator: ","))]")
                + (result.fixes.map { " [fix: \($0.joined(separator: ","))]" } ?? "")
            let attributes = #"classname="scenarios" name="\#(escape(name))" file="\#(escape(result.file))" time="\#(time(result.seconds))""#
            if let reason = result.skipped {
                xml += "    <testcase \(attributes)>\n" + #"      <skipped message="\#(escape(reason))"/>"# + "\n    </testcase>\n"
                continue
            }
            guard let failure = result.failure else {
                xml += "    <testcase \(attributes)/>\n"
                continue
            }
            xml += "    <testcase \(attributes)>\n"
            let message = "\(failure.location): expected \(failure.expected), got \(failure.actual)"
                + (result.timeline.map { " (timeline: \($0))" } ?? "")
            xml += #"      <failure message="\#(escape(message))" type="ScenarioFailure">\#(escape(ConsoleReport.failure(result)))</failure>"# + "\n"
            if let timeline = result.timeline {
                xml += #"      <properties><property name="timeline" value="\#(escape(timeline))"/></properties>"# + "\n"
                xml += "      <system-out>[[ATTACHMENT|\(escape(timeline))]]</system-out>\n"
            }
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    private static func time(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

    /// Escapes markup and drops characters XML 1.0 cannot carry (log lines may hold any byte).
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value >= 0x20 && !(0xFFFE...0xFFFF).contains(value) { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }
}
