import Foundation
import PodsimCheckers
import PodsimHistory

/// Draws a `Model` as SVG and wraps it in the page.
struct Renderer {
    let history: History
    var model: Model
    let options: Timeline.Options

    static let labelWidth = 210.0
    static let plotLeft = 220.0
    static let axisHeight = 34.0
    static let rowHeight = 18.0
    static let markRowHeight = 16.0
    static let lanePad = 4.0
    static let maxRows = 12

    /// The width of one character of the monospace labels, roughly.
    static let characterWidth = 6.7

    static func labelPixels(_ label: String) -> Double { Double(label.count) * characterWidth }

    let nanosToPixels: Double
    let plotWidth: Double
    var out = ""
    /// Indices that already have their `ev-N` anchor.
    var anchored: Set<Int> = []

    init(history: History, model: Model, options: Timeline.Options) {
        self.history = history
        self.model = model
        self.options = options
        let milliseconds = Double(model.endNanos) / 1e6
        if let scale = options.pixelsPerMillisecond, scale > 0 {
            nanosToPixels = scale / 1e6
        } else {
            let width = min(max(milliseconds, 1_000), 40_000)
            nanosToPixels = width / Double(model.endNanos)
        }
        plotWidth = Double(model.endNanos) * nanosToPixels
    }

    func x(_ t: Int64) -> Double { Self.plotLeft + Double(max(t, 0)) * nanosToPixels }

    /// The rightmost drawn pixel, labels that run past their span included (set by `layout`).
    var rightEdge = 0.0

    var totalWidth: Double { max(Self.plotLeft + plotWidth + 40, rightEdge + 12) }

    // MARK: layout

    /// Packs the drawn spans of each lane into rows and sets the lanes' heights.
    mutating func layout() {
        var y = Self.axisHeight
        for number in model.lanes.indices {
            var lane = model.lanes[number]
            var rowEnds: [Double] = []
            for index in lane.items.indices where lane.items[index].kind.isSpan && (!lane.aggregated || lane.items[index].violation) {
                let item = lane.items[index]
                let start = x(item.start)
                var end = max(x(item.end), start + 3)
                if item.kind.spillsLabel { end = max(end, start + Self.labelPixels(item.label) + 6) }
                var row = rowEnds.firstIndex { $0 <= start }
                if row == nil {
                    if rowEnds.count < Self.maxRows {
                        rowEnds.append(0)
                        row = rowEnds.count - 1
                    } else {
                        row = rowEnds.indices.min { rowEnds[$0] < rowEnds[$1] }
                    }
                }
                rowEnds[row!] = max(rowEnds[row!], end + 1)
                rightEdge = max(rightEdge, end)
                lane.items[index].row = row!
            }
            lane.spanRows = rowEnds.count
            lane.hasMarks = lane.aggregated || lane.items.contains { !$0.kind.isSpan }
            lane.y = y
            lane.height = max(24, Self.lanePad * 2 + Double(lane.spanRows) * Self.rowHeight + (lane.hasMarks ? Self.markRowHeight : 0))
            y += lane.height
            model.lanes[number] = lane
        }
    }

    var totalHeight: Double { (model.lanes.last.map { $0.y + $0.height } ?? Self.axisHeight) + 8 }

    // MARK: SVG

    mutating func svg() -> String {
        layout()
        out = ""
        out.reserveCapacity(256 * 1024)
        let width = tenths(totalWidth), height = tenths(totalHeight)
        out += "<svg id=\"timeline\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" data-plot-left=\"\(tenths(Self.plotLeft))\">\n"
        let ticks = self.ticks()
        out += "<g class=\"grid\">"
        for tick in ticks {
            let tx = tenths(x(tick.nanos))
            out += "<line x1=\"\(tx)\" y1=\"\(tenths(Self.axisHeight))\" x2=\"\(tx)\" y2=\"\(height)\"/>"
        }
        out += "</g>\n"
        for number in model.lanes.indices { drawLane(number) }
        // Faults across every lane.
        out += "<g class=\"fault-lines\">"
        for index in model.faults {
            let event = history.events[index]
            let fx = tenths(x(event.t))
            out += "<line class=\"fault-line\"\(faultAttributes(event)) x1=\"\(fx)\" y1=\"\(tenths(Self.axisHeight))\" x2=\"\(fx)\" y2=\"\(height)\"/>"
        }
        out += "</g>\n"
        // The axis, kept in view by the script when scrolling down.
        out += "<g id=\"axis\"><rect class=\"axis-bg\" x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(tenths(Self.axisHeight))\"/>"
        for tick in ticks {
            let tx = tenths(x(tick.nanos))
            out += "<line x1=\"\(tx)\" y1=\"\(tenths(Self.axisHeight - 8))\" x2=\"\(tx)\" y2=\"\(tenths(Self.axisHeight))\"/>"
            out += "<text x=\"\(tx)\" y=\"\(tenths(Self.axisHeight - 12))\">\(tick.label)</text>"
        }
        out += "<text class=\"axis-unit\" x=\"6\" y=\"\(tenths(Self.axisHeight - 12))\">t since cluster start</text></g>\n"
        // The lane labels, kept in view by the script when scrolling right.
        out += "<g id=\"labels\"><rect class=\"labels-bg\" x=\"0\" y=\"\(tenths(Self.axisHeight))\" width=\"\(tenths(Self.labelWidth))\" height=\"\(tenths(totalHeight - Self.axisHeight))\"/>"
        for lane in model.lanes {
            let text = lane.label.count > 30 ? String(lane.label.prefix(29)) + "…" : lane.label
            let note = lane.aggregated ? "<tspan class=\"note\">\u{00A0}(density)</tspan>" : ""
            out += "<text x=\"6\" y=\"\(tenths(lane.y + min(lane.height, 24) / 2 + 4))\">\(escaped(text))\(note)<title>\(escaped(lane.label))\(lane.aggregated ? " — \(lane.items.count) items, drawn as a density strip" : "")</title></text>"
        }
        out += "</g>\n</svg>"
        return out
    }

    func faultAttributes(_ event: HistoryEvent) -> String {
        var attributes = " data-action=\"\(escaped(event.action ?? ""))\""
        if let target = event.target { attributes += " data-target=\"\(escaped(target))\"" }
        if event.error != nil { attributes += " data-result=\"failed\"" }
        return attributes
    }

    mutating func drawLane(_ number: Int) {
        let lane = model.lanes[number]
        out += "<g class=\"lane\" data-lane=\"\(escaped(lane.name))\""
        if lane.aggregated { out += " data-aggregated=\"true\"" }
        if lane.folded > 0 { out += " data-watchers=\"\(lane.folded)\"" }
        out += ">"
        out += "<rect class=\"lane-bg\(number % 2 == 1 ? " odd" : "")\" x=\"0\" y=\"\(tenths(lane.y))\" width=\"\(tenths(totalWidth))\" height=\"\(tenths(lane.height))\"/>"
        let markY = lane.y + Self.lanePad + Double(lane.spanRows) * Self.rowHeight
        if lane.aggregated { drawDensity(lane, y: markY) }
        // Spans first, violations last so that they are drawn on top.
        for pass in [false, true] {
            for item in lane.items where item.violation == pass && (!lane.aggregated || item.violation) {
                if item.kind.isSpan {
                    drawSpan(item, y: lane.y + Self.lanePad + Double(item.row) * Self.rowHeight)
                } else {
                    drawMark(item, y: markY)
                }
            }
        }
        out += "</g>\n"
    }

    mutating func drawDensity(_ lane: Lane, y: Double) {
        // Every strip's bins come out of one budget for the page, so that a hundred aggregated
        // lanes do not make the page a hundred times heavier.
        let strips = max(1, model.lanes.count { $0.aggregated })
        let bins = max(1, min(options.densityBins, max(40, options.pageDensityBins / strips)))
        let binNanos = max(1, (model.endNanos + Int64(bins) - 1) / Int64(bins))
        let kinds = ItemKind.allCases.count
        var counts = [Int](repeating: 0, count: bins * kinds)
        var totals = [Int](repeating: 0, count: bins)
        for item in lane.items where !item.violation {
            let bin = min(bins - 1, Int(max(0, item.start) / binNanos))
            counts[bin * kinds + item.kind.rawValue] += 1
            totals[bin] += 1
        }
        let most = max(1, totals.max() ?? 1)
        let binWidth = max(1, Double(binNanos) * nanosToPixels)
        for bin in 0..<bins where totals[bin] > 0 {
            let start = Int64(bin) * binNanos
            var parts: [String] = []
            for kind in ItemKind.allCases where counts[bin * kinds + kind.rawValue] > 0 {
                parts.append("\(counts[bin * kinds + kind.rawValue]) \(kind.plural)")
            }
            let opacity = 0.2 + 0.8 * Double(totals[bin]) / Double(most)
            out += "<rect class=\"density\" data-count=\"\(totals[bin])\" x=\"\(tenths(x(start)))\" y=\"\(tenths(y))\" width=\"\(tenths(binWidth))\" height=\"\(tenths(Self.markRowHeight - 4))\" fill-opacity=\"\(hundredths(opacity))\">"
            out += "<title>\(parts.joined(separator: ", ")) · \(ms(start))–\(ms(start + binNanos)) ms</title></rect>"
        }
    }

    /// ` id="ev-N"` for the first drawn element of a flagged event.
    mutating func anchor(_ index: Int) -> String {
        guard model.flagged.contains(index), !anchored.contains(index) else { return "" }
        anchored.insert(index)
        return " id=\"ev-\(index)\""
    }

    mutating func drawSpan(_ item: Item, y: Double) {
        let event = history.events[item.index]
        var classes = item.kind.className
        if item.failed { classes += " failed" }
        if item.violation { classes += " violation" }
        if item.open { classes += " open" }
        // The anchor goes to whichever of the two events is flagged; the other gets its own.
        var id = ""
        var extra: Int?
        if model.flagged.contains(item.index) {
            id = anchor(item.index)
            if let end = item.endIndex, model.flagged.contains(end) { extra = end }
        } else if let end = item.endIndex {
            id = anchor(end)
        }
        out += "<g class=\"\(classes)\"\(id)"
        switch item.kind {
        case .fault: out += faultAttributes(event)
        case .step: out += " data-location=\"\(escaped(item.endIndex.flatMap { history.events[$0].location } ?? event.location ?? ""))\""
        case .run:
            out += " data-run=\"\(escaped(event.run ?? ""))\" data-attempt=\"\(event.attempt.map(String.init) ?? "")\" data-state=\"\(escaped(item.state))\""
        case .workflow: out += " data-workflow=\"\(escaped(event.workflow ?? ""))\""
        case .request: out += " data-status=\"\(event.status.map(String.init) ?? "")\""
        default: break
        }
        let x0 = x(item.start)
        let width = max(x(item.end) - x0, 3)
        out += "><rect x=\"\(tenths(x0))\" y=\"\(tenths(y + 1))\" width=\"\(tenths(width))\" height=\"\(tenths(Self.rowHeight - 3))\" rx=\"2\"/>"
        let fits = item.kind.spillsLabel ? Int.max : Int((width - 6) / Self.characterWidth)
        if fits >= 3 {
            let label = item.label.count > fits ? String(item.label.prefix(fits - 1)) + "…" : item.label
            out += "<text x=\"\(tenths(x0 + 3))\" y=\"\(tenths(y + Self.rowHeight - 6))\">\(escaped(label))</text>"
        }
        out += "<title>\(escaped(spanTooltip(item)))</title></g>"
        if let extra, !anchored.contains(extra) {
            anchored.insert(extra)
            out += "<rect class=\"anchor\" id=\"ev-\(extra)\" x=\"\(tenths(x(history.events[extra].t)))\" y=\"\(tenths(y))\" width=\"1\" height=\"\(tenths(Self.rowHeight))\"><title>\(escaped(describe(extra).joined(separator: "\n")))</title></rect>"
        }
    }

    mutating func drawMark(_ item: Item, y: Double) {
        let event = history.events[item.index]
        var classes = item.kind.className
        if item.violation { classes += " violation" }
        out += "<rect class=\"\(classes)\"\(anchor(item.index))"
        switch item.kind {
        case .append, .dropped, .delivery: out += " data-id=\"\(escaped(event.id ?? ""))\""
        case .event: out += " data-kind=\"\(escaped(event.kind.rawValue))\""
        default: break
        }
        let height = item.violation ? Self.markRowHeight - 2 : Self.markRowHeight - 6
        let width = item.violation ? 3.0 : 2.0
        out += " x=\"\(tenths(x(item.start) - width / 2))\" y=\"\(tenths(y + (item.violation ? 0 : 2)))\" width=\"\(tenths(width))\" height=\"\(tenths(height))\">"
        var lines = item.kind == .event ? describe(item.index) : describeChunk(item.index)
        if item.kind == .delivery { lines.append(latency(event)) }
        out += "<title>\(escaped(lines.joined(separator: "\n")))</title></rect>"
    }

    // MARK: text

    func latency(_ event: HistoryEvent) -> String {
        guard let id = event.id else { return "latency: unknown (the frame carries no chunk id)" }
        guard let append = model.matchingAppend(for: event) else { return "latency: unknown (no append of \(id) before it)" }
        let appended = history.events[append.index]
        let copies = (model.appends[(event.thread ?? "") + "\u{0}" + id] ?? model.appendsByID[id])?.count ?? 1
        return "latency: \(ms(event.t - append.t)) ms after the append on \(appended.process ?? "?") at \(ms(append.t)) ms"
            + (copies > 1 ? " (appended \(copies) times; the latest before this delivery)" : "")
    }

    func spanTooltip(_ item: Item) -> String {
        var lines = ["\(item.label) · \(ms(item.start))–\(ms(item.end)) ms (\(ms(item.end - item.start)) ms)" + (item.open ? ", still open at the end" : "")]
        lines += describe(item.index).map { "  " + $0 }
        if let end = item.endIndex {
            lines += describe(end).map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// A chunk's append or delivery, compactly (a page can hold thousands): where and when, its
    /// thread, run, attempt and seq, its type and text, its id; the payload only when there is no text.
    func describeChunk(_ index: Int) -> [String] {
        let event = history.events[index]
        var lines = ["\(event.kind.rawValue) at \(ms(event.t)) ms on \(event.process ?? "?")" + (event.watcher.map { " to watcher \($0)" } ?? "") + " (event \(index))"]
        var place: [String] = []
        if let thread = event.thread { place.append("thread \(thread)") }
        if let run = event.run { place.append("run \(run)" + (event.attempt.map { " #\($0)" } ?? "")) }
        if let seq = event.seq { place.append("seq \(seq)") }
        if !place.isEmpty { lines.append(place.joined(separator: " · ")) }
        var what = event.chunk ?? "?"
        if let delta = event.delta { what += " \"" + (delta.count > 200 ? String(delta.prefix(200)) + "…" : delta) + "\"" }
        if let id = event.id { what += " · id \(id)" }
        lines.append(what)
        if event.delta == nil, let data = event.data { lines.append("data: " + (data.count > 200 ? String(data.prefix(200)) + "…" : data)) }
        if let error = event.error { lines.append("error: \(error)") }
        return lines
    }

    /// The event's kind, time and every field it carries, one per line.
    func describe(_ index: Int) -> [String] {
        let event = history.events[index]
        var lines = ["\(event.kind.rawValue) at \(ms(event.t)) ms" + (event.process.map { " on \($0)" } ?? "") + " (event \(index))"]
        func field(_ name: String, _ value: String?, limit: Int = 300) {
            guard let value else { return }
            lines.append("\(name): " + (value.count > limit ? String(value.prefix(limit)) + "…" : value))
        }
        if let end = event.end { field("end", "\(ms(end)) ms (took \(ms(end - event.t)) ms)") }
        field("label", event.label)
        field("location", event.location)
        field("op", event.op)
        field("caller", event.caller)
        field("watcher", event.watcher)
        field("action", event.action)
        field("target", event.target)
        field("method", event.method)
        field("path", event.path)
        field("status", event.status.map(String.init))
        field("thread", event.thread)
        field("message", event.message)
        field("workflow", event.workflow)
        field("run", event.run)
        field("attempt", event.attempt.map(String.init))
        field("seq", event.seq.map(String.init))
        field("step", event.step.map(String.init))
        field("chunk", event.chunk)
        field("id", event.id)
        field("delta", event.delta.map { "\"\($0)\"" })
        field("state", event.state)
        field("reason", event.reason)
        field("count", event.count.map(String.init))
        field("error", event.error, limit: 600)
        field("data", event.data)
        return lines
    }

    func ticks() -> [(nanos: Int64, label: String)] {
        let pixelsPerMillisecond = nanosToPixels * 1e6
        let raw = 110 / pixelsPerMillisecond
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        var result: [(Int64, String)] = []
        let endMillis = Double(model.endNanos) / 1e6
        var number = 0
        while Double(number) * step <= endMillis + step / 2, number < 10_000 {
            let tick = Double(number) * step
            result.append((Int64((tick * 1e6).rounded()), tickLabel(tick, step: step)))
            number += 1
        }
        return result
    }

    func tickLabel(_ millis: Double, step: Double) -> String {
        if step >= 100 { return String(format: step >= 1000 ? "%.0f s" : "%.1f s", millis / 1000) }
        if step >= 1 { return String(format: "%.0f ms", millis) }
        return String(format: step >= 0.1 ? "%.1f ms" : step >= 0.01 ? "%.2f ms" : "%.3f ms", millis)
    }
}

// MARK: formatting

/// Nanoseconds as milliseconds with three decimals (microseconds), without floating point.
func ms(_ nanos: Int64) -> String {
    let sign = nanos < 0 ? "-" : ""
    let magnitude = nanos.magnitude
    let micros = (magnitude / 1_000) % 1_000
    return sign + String(magnitude / 1_000_000) + "." + (micros < 10 ? "00" : micros < 100 ? "0" : "") + String(micros)
}

/// `value` with one decimal (none when it is whole), the same on every machine.
func tenths(_ value: Double) -> String {
    let count = Int((value * 10).rounded())
    let sign = count < 0 ? "-" : ""
    let magnitude = count.magnitude
    return magnitude % 10 == 0 ? sign + String(magnitude / 10) : sign + String(magnitude / 10) + "." + String(magnitude % 10)
}

/// `value` with two decimals, the same on every machine.
func hundredths(_ value: Double) -> String {
    let count = Int((value * 100).rounded())
    return String(count / 100) + "." + (count % 100 < 10 ? "0" : "") + String(count % 100)
}

/// Escapes text for HTML and SVG content and attribute values; control characters (other than
/// newline and tab) become U+FFFD.
func escaped(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 || ($0 < 0x20 && $0 != 0x0A && $0 != 0x09) || $0 == 0x7F })
    else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count + 16)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        case "\n", "\t": result.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\u{FFFD}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result
}
