import Foundation
import PodsimCheckers
import PodsimHistory

extension Renderer {
    /// The page: header, verdicts, the failing step, toolbar, the SVG and the details panel.
    mutating func page(verdicts: [Verdict]) -> String {
        let picture = svg()
        let header = history.header
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>podsim timeline: \(escaped(header.scenario))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n<header>\n"
        let worst = verdicts.map(\.validity).max() ?? .unknown
        let failed = !model.failedSteps.isEmpty || worst == .fail
        html += "<h1>\(escaped(header.scenario)) <span class=\"badge \(failed ? "fail" : worst.rawValue)\">\(failed ? "failed" : worst == .pass ? "passed" : "unknown")</span></h1>\n<dl class=\"facts\">"
        func fact(_ name: String, _ value: String) { html += "<dt>\(name)</dt><dd>\(value)</dd>" }
        fact("file", escaped(header.file))
        fact("profile", escaped(header.profile))
        fact("pods", String(header.pods))
        fact("bugs", header.bugs.isEmpty ? "none" : header.bugs.map { "<code>\(escaped($0))</code>" }.joined(separator: " "))
        fact("fixes", header.fixes.isEmpty ? "none" : header.fixes.map { "<code>\(escaped($0))</code>" }.joined(separator: " "))
        fact("processes", header.processes.map(escaped).joined(separator: ", "))
        fact("started", escaped(Self.iso(header.startedAt)) + " (t = 0)")
        fact("length", "\(ms(model.endNanos)) ms, \(history.events.count) events")
        html += "</dl>\n"

        if !model.failedSteps.isEmpty {
            html += "<section class=\"failing-step\"><h2>Failing step</h2><ul>"
            for index in model.failedSteps {
                let event = history.events[index]
                let label = event.label ?? model.stepStarts[index].flatMap { history.events[$0].label } ?? "step"
                html += "<li><a href=\"#ev-\(index)\">\(escaped(label)) at \(escaped(event.location ?? "?"))</a> (\(ms(event.t)) ms)"
                html += "<pre>\(escaped(event.error ?? ""))</pre></li>"
            }
            html += "</ul></section>\n"
        }

        html += "<section class=\"verdicts\"><h2>Checkers</h2>"
        if verdicts.isEmpty {
            html += "<p>No checker verdicts were given.</p>"
        } else {
            let counts = Dictionary(grouping: verdicts, by: \.validity).mapValues(\.count)
            html += "<p>\(counts[.pass] ?? 0) pass, \(counts[.unknown] ?? 0) unknown, \(counts[.fail] ?? 0) fail.</p><ul>"
            for verdict in verdicts {
                html += "<li class=\"verdict \(verdict.validity.rawValue)\" id=\"verdict-\(verdict.checker.rawValue)\"><span class=\"badge \(verdict.validity.rawValue)\">\(verdict.validity.rawValue)</span> "
                html += "<b>\(verdict.checker.rawValue)</b>: \(escaped(verdict.property))"
                if let note = verdict.note { html += " <i>(\(escaped(note)))</i>" }
                if verdict.validity == .fail, !verdict.violations.isEmpty {
                    html += "<ol class=\"violations\">"
                    for violation in verdict.violations {
                        html += "<li>\(escaped(violation.message))"
                        let indices = violation.indices.filter { history.events.indices.contains($0) }
                        if !indices.isEmpty {
                            html += "<br><span class=\"events\">events: "
                            html += indices.prefix(40).map { index in
                                let event = history.events[index]
                                let place = event.watcher.map { "watcher \($0)" } ?? event.process ?? event.caller ?? ""
                                return "<a href=\"#ev-\(index)\">\(escaped(event.kind.rawValue))\(place.isEmpty ? "" : " " + escaped(place)) @ \(ms(event.t)) ms</a>"
                            }.joined(separator: ", ")
                            if indices.count > 40 { html += " and \(indices.count - 40) more" }
                            html += "</span>"
                        }
                        html += "</li>"
                    }
                    html += "</ol>"
                }
                html += "</li>"
            }
            html += "</ul>"
        }
        html += "</section>\n</header>\n"

        html += "<nav class=\"toolbar\"><button type=\"button\" id=\"zoom-out\" title=\"zoom out\">−</button><button type=\"button\" id=\"zoom-in\" title=\"zoom in\">+</button>"
        html += "<button type=\"button\" id=\"zoom-fit\">fit</button><button type=\"button\" id=\"zoom-reset\">1:1</button>"
        html += "<span class=\"legend\"><i class=\"k step\"></i>step <i class=\"k fault\"></i>fault <i class=\"k run\"></i>run <i class=\"k workflow\"></i>workflow "
        html += "<i class=\"k request\"></i>request <i class=\"k provider-call\"></i>provider call <i class=\"k attached\"></i>attached "
        html += "<i class=\"k append\"></i>append <i class=\"k delivery\"></i>delivery <i class=\"k violation\"></i>violation</span>"
        html += "<span class=\"hint\">hover for details, click to pin</span></nav>\n"
        html += "<div id=\"scroll\">\n\(picture)\n</div>\n"
        html += "<pre id=\"details\">Click a mark or span to pin its details here.</pre>\n"
        html += "<script>\n\(Self.script)</script>\n</body>\n</html>\n"
        return html
    }

    static func iso(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static let css = """
        body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
        header { padding: 8px 16px; }
        h1 { font-size: 18px; margin: 4px 0; } h2 { font-size: 14px; margin: 10px 0 4px; }
        .facts { display: grid; grid-template-columns: max-content auto; gap: 0 12px; margin: 0; }
        .facts dt { color: #666; } .facts dd { margin: 0; }
        .badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; }
        .badge.pass { background: #2e7d32; } .badge.unknown { background: #8d6e00; } .badge.fail { background: #c62828; }
        .verdicts ul, .failing-step ul { list-style: none; padding-left: 0; margin: 0; }
        .verdict { margin: 2px 0; } .violations { margin: 2px 0 6px; } .violations .events { color: #555; }
        a { color: #1565c0; }
        .failing-step pre { white-space: pre-wrap; margin: 2px 0 0; color: #b71c1c; }
        .toolbar { position: sticky; top: 0; background: #f5f5f5; border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; padding: 4px 16px; z-index: 2; }
        .toolbar button { min-width: 32px; margin-right: 4px; }
        .legend { margin-left: 12px; } .legend .k { display: inline-block; width: 12px; height: 10px; margin: 0 3px 0 8px; vertical-align: middle; border: 1px solid #999; }
        .k.step { background: #e8f5e9; } .k.fault { background: #ffe0b2; } .k.run { background: #d6e6ff; } .k.workflow { background: #ede7f6; }
        .k.request { background: #eceff1; } .k.provider-call { background: #fff8e1; } .k.attached { background: #f1f8e9; }
        .k.append { background: #1565c0; width: 3px; } .k.delivery { background: #2e7d32; width: 3px; } .k.violation { background: #ef5350; border-color: #b71c1c; }
        .hint { margin-left: 12px; color: #777; }
        #scroll { overflow: auto; max-height: 75vh; border-bottom: 1px solid #ddd; }
        #details { position: sticky; bottom: 0; margin: 0; padding: 6px 16px; min-height: 3em; max-height: 25vh; overflow: auto; background: #fffde7; border-top: 1px solid #ddd; white-space: pre-wrap; font: 12px/1.35 ui-monospace, monospace; }
        svg { display: block; font: 11px ui-monospace, monospace; }
        svg text { pointer-events: none; }
        .grid line { stroke: #eee; }
        .axis-bg, .labels-bg { fill: #fff; fill-opacity: 0.95; }
        #axis line { stroke: #999; } #axis text { fill: #555; text-anchor: middle; } #axis .axis-unit { text-anchor: start; fill: #999; }
        #labels text { fill: #333; pointer-events: auto; } #labels .note { fill: #999; }
        .lane-bg { fill: #fff; stroke: #eee; } .lane-bg.odd { fill: #fafafa; }
        .step rect { fill: #e8f5e9; stroke: #81c784; } .step text { fill: #1b5e20; }
        .step.failed rect { fill: #ffcdd2; stroke: #c62828; }
        .fault rect { fill: #ffe0b2; stroke: #ef6c00; } .fault text { fill: #e65100; font-weight: bold; }
        .fault[data-result=failed] rect { stroke-dasharray: 3 2; }
        .fault-line { stroke: #ef6c00; stroke-width: 1.5; stroke-dasharray: 4 3; opacity: 0.7; pointer-events: none; }
        .run rect { fill: #d6e6ff; stroke: #3b7ddd; } .run text { fill: #0d47a1; }
        .run.failed rect { fill: #ffe0e0; } .open rect { stroke-dasharray: 4 2; }
        .workflow rect { fill: #ede7f6; stroke: #7e57c2; } .workflow text { fill: #4527a0; }
        .request rect { fill: #eceff1; stroke: #90a4ae; } .request text { fill: #37474f; }
        .request.failed rect { fill: #ffcdd2; stroke: #c62828; } .request.failed text { fill: #b71c1c; }
        .provider-call rect { fill: #fff8e1; stroke: #f9a825; } .provider-call text { fill: #6d4c00; }
        .attached rect { fill: #f1f8e9; stroke: #c5e1a5; } .attached text { fill: #558b2f; }
        .attached.failed rect { stroke: #c62828; }
        rect.append { fill: #1565c0; } rect.dropped { fill: #9e9e9e; }
        rect.delivery { fill: #2e7d32; } rect.event { fill: #757575; }
        rect.density { fill: #37474f; }
        rect.anchor { fill: #d32f2f; }
        .violation rect, rect.violation { fill: #ef5350; stroke: #b71c1c; stroke-width: 2; }
        .violation text { fill: #7f0000; font-weight: bold; }
        .pinned, .pinned rect { stroke: #000 !important; stroke-width: 2.5 !important; }
        @keyframes flash { 50% { opacity: 0.2; } } .flash { animation: flash 0.4s 3; }

        """

    /// Conveniences only: the page is complete without it.
    static let script = """
        (function () {
          var scroll = document.getElementById('scroll'), svg = document.getElementById('timeline');
          if (!scroll || !svg) return;
          // Zoom is horizontal: time stretches, lanes and text keep their size. Every x at or
          // right of the plot's left edge is remapped; marks keep their width, spans stretch.
          var left = +svg.getAttribute('data-plot-left'), width = +svg.getAttribute('width'), height = +svg.getAttribute('height');
          var zoom = 1, shapes = null, fixed = /(^| )(append|dropped|delivery|event|anchor)( |$)/;
          var labels = document.getElementById('labels'), axis = document.getElementById('axis');
          var details = document.getElementById('details'), pinned = null;
          function stick() {
            labels.setAttribute('transform', 'translate(' + scroll.scrollLeft + ',0)');
            axis.setAttribute('transform', 'translate(0,' + scroll.scrollTop + ')');
          }
          scroll.addEventListener('scroll', stick);
          function map(x) { return x < left ? x : left + (x - left) * zoom; }
          function collect() {
            shapes = [];
            var nodes = svg.querySelectorAll('rect, line, text');
            for (var i = 0; i < nodes.length; i++) {
              var node = nodes[i];
              if (labels.contains(node)) continue;
              var tag = node.tagName.toLowerCase();
              if (tag === 'line') shapes.push([node, 'line', +node.getAttribute('x1'), +node.getAttribute('x2')]);
              else if (tag === 'text') shapes.push([node, 'text', +node.getAttribute('x')]);
              else shapes.push([node, fixed.test(node.getAttribute('class') || '') ? 'mark' : 'rect', +node.getAttribute('x'), +node.getAttribute('width')]);
            }
          }
          function setZoom(next) {
            if (!shapes) collect();
            var center = (scroll.scrollLeft + scroll.clientWidth / 2 - left) / zoom;
            zoom = Math.min(200, Math.max(0.005, next));
            for (var i = 0; i < shapes.length; i++) {
              var s = shapes[i], node = s[0];
              if (s[1] === 'line') { node.setAttribute('x1', map(s[2])); node.setAttribute('x2', map(s[3])); }
              else if (s[1] === 'text') node.setAttribute('x', map(s[2]));
              else if (s[1] === 'mark') node.setAttribute('x', map(s[2] + s[3] / 2) - s[3] / 2);
              else { var x = map(s[2]); node.setAttribute('x', x); node.setAttribute('width', Math.max(map(s[2] + s[3]) - x, Math.min(s[3], 1))); }
            }
            var total = map(width);
            svg.setAttribute('width', total);
            svg.setAttribute('viewBox', '0 0 ' + total + ' ' + height);
            scroll.scrollLeft = left + center * zoom - scroll.clientWidth / 2;
            stick();
          }
          document.getElementById('zoom-in').onclick = function () { setZoom(zoom * 1.5); };
          document.getElementById('zoom-out').onclick = function () { setZoom(zoom / 1.5); };
          document.getElementById('zoom-reset').onclick = function () { setZoom(1); };
          document.getElementById('zoom-fit').onclick = function () { setZoom((scroll.clientWidth - left - 20) / (width - left)); };
          function titleOf(element) {
            for (var child = element.firstElementChild; child; child = child.nextElementSibling) {
              if (child.tagName.toLowerCase() === 'title') return child;
            }
            return null;
          }
          function pin(element) {
            if (pinned) pinned.classList.remove('pinned');
            pinned = element;
            if (!element) { details.textContent = 'Click a mark or span to pin its details here.'; return; }
            element.classList.add('pinned');
            var title = titleOf(element);
            details.textContent = title ? title.textContent : '';
          }
          svg.addEventListener('click', function (event) {
            for (var element = event.target; element && element !== svg; element = element.parentNode) {
              if (titleOf(element) && element.id !== 'labels') { pin(element); return; }
            }
            pin(null);
          });
          document.addEventListener('click', function (event) {
            var link = event.target.closest && event.target.closest('a[href^="#ev-"]');
            if (!link) return;
            var element = document.getElementById(link.getAttribute('href').slice(1));
            if (!element) return;
            event.preventDefault();
            element.scrollIntoView({ block: 'center', inline: 'center' });
            pin(element);
            element.classList.remove('flash');
            void element.getBoundingClientRect();
            element.classList.add('flash');
            history.replaceState(null, '', link.getAttribute('href'));
          });
          stick();
        })();

        """
}
