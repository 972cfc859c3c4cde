import PodsimCheckers
import PodsimHistory

/// The self-contained HTML timeline of one history: one file with inline CSS, an inline SVG drawn
/// here (so the picture is deterministic and testable) and a small inline script for conveniences
/// only (zoom, labels and axis that stay in view while scrolling, click to pin a mark's details,
/// jump to a violation). It loads nothing from the network, so it opens from a CI artifact offline;
/// every mark and span also carries an SVG `<title>` tooltip that works without the script.
///
/// The page has a header (scenario, file, profile, bugs and fixes, each checker's verdict with
/// its violations linking to their highlighted marks, and the failing step) and one time axis in
/// milliseconds since the cluster started (`t`), with a lane per thing that acts.
///
/// Stable markup, for tests and tools that read the page:
///
/// - A lane: `<g class="lane" data-lane="NAME">`, NAME being `steps`, `faults`, a process
///   (`mock-ai`, `pod-2`, `link-1`, …: the header's processes and any other one seen in the
///   events), `caller NAME` (the caller's requests; `caller runner` when none is named),
///   `watcher NAME` (its label says `watcher NAME @ POD`), or, when there are more watchers than
///   `Options.watcherLaneLimit`, `watchers @ POD` (all the watchers of one pod folded together,
///   with `data-watchers="COUNT"`). `events` holds what names no process, watcher or caller.
///   A lane with more items than `Options.markLimit` (or among the fullest, when the page would
///   hold more than `Options.pageMarkLimit`) has `data-aggregated="true"` and draws a density
///   strip, `<rect class="density" data-count="N">` per time bin with the counts by kind in its
///   tooltip, instead of its marks and spans. Violations are drawn individually even there.
/// - Faults: `<g class="fault" data-action="kill" data-target="pod-2">` on the `faults` lane
///   (spanning the fault's `t..end`; `data-result="failed"` when it failed, no `data-target` for a
///   fault on every pod) and `<line class="fault-line" data-action=… data-target=…>` across all lanes.
/// - Steps: `<g class="step" data-location="FILE:LINE:COL">`, labelled `FILE:LINE` (the file's base
///   name); a step that failed adds the class `failed`.
/// - Runs: `<g class="run" data-run="R" data-attempt="A" data-state="S">` on the owning pod's lane,
///   from its claim or reclaim to the first of: a claim of a later attempt (state
///   `superseded by #N`), its release (`released`), its finish (the run's final state); a run
///   still open at the history's end has `data-state="open"`. Hosted workflows:
///   `<g class="workflow" data-workflow="gate|child">`. Any span whose end never came runs to the
///   history's end and adds the class `open`; the classes come in the order
///   `KIND [failed] [violation] [open]`, KIND first.
/// - Requests: `<g class="request" data-status="…">` on the caller's lane, with the class
///   `failed` on a 5xx or on no answer. Provider calls: `<g class="provider-call">` on the
///   mock's lane. A watcher's attachment: `<g class="attached">` (attach to detach).
/// - Chunks: `<rect class="append">` on the appending pod's lane (`data-id`), `<rect
///   class="dropped">` for a publish the bus dropped, `<rect class="delivery" data-id="CHUNK ID">`
///   on the watcher's lane (its tooltip gives the latency from the latest append of the same
///   thread and id before it). Anything else: `<rect class="event" data-kind="KIND">`.
/// - Marks and spans list their event's fields in their `<title>`; the element that stands for a
///   history event can be found from its `(event N)` there.
/// - Every event a failing verdict's violations point at (`Violation.indices`), and the failing
///   step (a `step-end` with an `error`), is drawn with the extra class `violation` and the anchor
///   `id="ev-INDEX"` (INDEX into `history.events`), which the header links to (a span both of
///   whose events are named anchors the second on a small `<rect class="anchor">`). Verdicts
///   are listed as `<li class="verdict pass|unknown|fail" id="verdict-CHECKER">`.
///
/// Every string taken from the history is HTML-escaped.
public enum Timeline {
    public struct Options: Sendable {
        /// The horizontal scale; nil: 1 px per millisecond, the plot kept between 1,000 and
        /// 40,000 px wide.
        public var pixelsPerMillisecond: Double?
        /// A lane with more items than this draws a density strip instead of its marks.
        public var markLimit: Int
        /// When the lanes under `markLimit` still hold more items than this in all, the fullest
        /// of them draw density strips too, until the rest fit.
        public var pageMarkLimit: Int
        /// More watchers than this fold into one lane per pod.
        public var watcherLaneLimit: Int
        /// How many time bins a density strip has, at most.
        public var densityBins: Int
        /// How many time bins all the density strips of the page share (each keeps at least 40).
        public var pageDensityBins: Int

        public init(pixelsPerMillisecond: Double? = nil, markLimit: Int = 2_000, pageMarkLimit: Int = 4_000, watcherLaneLimit: Int = 200, densityBins: Int = 600,
            pageDensityBins: Int = 4_800
        ) {
            self.pixelsPerMillisecond = pixelsPerMillisecond
            self.markLimit = markLimit
            self.pageMarkLimit = pageMarkLimit
            self.watcherLaneLimit = watcherLaneLimit
            self.densityBins = densityBins
            self.pageDensityBins = pageDensityBins
        }
    }

    /// The whole page.
    public static func html(_ history: History, verdicts: [Verdict], options: Options = Options()) -> String {
        let model = Model(history, verdicts: verdicts, options: options)
        var renderer = Renderer(history: history, model: model, options: options)
        return renderer.page(verdicts: verdicts)
    }

    /// The SVG alone (the page embeds the same).
    public static func svg(_ history: History, verdicts: [Verdict], options: Options = Options()) -> String {
        let model = Model(history, verdicts: verdicts, options: options)
        var renderer = Renderer(history: history, model: model, options: options)
        return renderer.svg()
    }
}
