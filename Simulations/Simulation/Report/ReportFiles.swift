import Foundation
import SVGCharts
import Placement

/// The files a run writes: `summary.json` (totals and waits), `timeseries.json` and
/// `timeseries.csv` (one row per sample), `waits.csv`, and `report.html` (self-contained, SVG
/// charts, opens offline). Nothing in them depends on the machine or the wall clock, so the
/// same scenario and seed give byte-identical files.
public enum ReportFiles {
    public static let names = ["summary.json", "timeseries.json", "timeseries.csv", "waits.csv", "report.html"]

    public static func write(_ result: SimulationResult, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func save(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
        }
        var summary = result
        summary.series = []
        try save("summary.json", try json(summary))
        try save("timeseries.json", try json(result.series))
        try save("timeseries.csv", timeSeriesCSV(result))
        try save("waits.csv", waitsCSV(result))
        try save("report.html", html(result))
    }

    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// Columns that vary by scenario (classes present, reasons seen, priority classes placed), sorted.
    static func columns(_ result: SimulationResult) -> (utilization: [String], reasons: [String], priorities: [String]) {
        let utilization = Set(result.series.flatMap(\.utilization.keys)).sorted()
        let reasons = Set(result.series.flatMap(\.pendingByReason.keys)).sorted()
        let priorities = PriorityClass.allCases.map(\.rawValue).filter { p in result.series.contains { $0.waitP95[p] != nil } }
        return (utilization, reasons, priorities)
    }

    public static func timeSeriesCSV(_ result: SimulationResult) -> String {
        let (utilization, reasons, priorities) = columns(result)
        var header = ["time_s"] + utilization.map { "util_\($0.replacingOccurrences(of: ".", with: "_"))" }
        header += ["pending"] + reasons.map { "pending_\($0)" } + priorities.map { "wait_p95_\($0)_s" }
        header += ["arrivals", "placed", "preemptions", "gpu_fragmentation", "stranded_cpu", "stranded_memory", "power_kw", "energy_kwh", "cost", "nodes_down"]
        let services = result.services?.services.map(\.name) ?? []
        header += services.flatMap { ["replicas_\($0)", "needed_replicas_\($0)"] }
        var lines = [header.joined(separator: ",")]
        for s in result.series {
            var row = [number(s.time)] + utilization.map { number(s.utilization[$0] ?? 0) }
            row += ["\(s.pending)"] + reasons.map { "\(s.pendingByReason[$0] ?? 0)" } + priorities.map { s.waitP95[$0].map(number) ?? "" }
            row += [
                "\(s.arrivals)", "\(s.placed)", "\(s.preemptions)", number(s.gpuFragmentation), number(s.strandedCPU), number(s.strandedMemory),
                number(s.powerKW), number(s.energyKWh), number(s.cost), "\(s.nodesDown)",
            ]
            row += services.flatMap { ["\(s.replicas?[$0] ?? 0)", "\(s.neededReplicas?[$0] ?? 0)"] }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func waitsCSV(_ result: SimulationResult) -> String {
        var lines = ["group,name,count,p50_s,p95_s,p99_s,max_s,target_s,met"]
        for w in result.waits {
            lines.append(
                [w.group, w.name, "\(w.count)", number(w.p50), number(w.p95), number(w.p99), number(w.max), w.target.map(number) ?? "", w.met.map { "\($0)" } ?? ""]
                    .joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A number with at most 6 decimals and no trailing zeros, the same on every machine.
    static func number(_ x: Double) -> String {
        var text = String(format: "%.6f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// The services under a daily load: what each held and served, what autoscaling saved, and
    /// each one's replicas against what its load needed.
    static func servicesHTML(_ services: SimulationResult.ServiceTotals, series: [SimulationResult.Sample], end: Double) -> String {
        var html = "<h2>Services</h2>\n<table><tr><th>service</th><th>replicas</th><th>peak</th><th>mean</th><th>replica-hours</th><th>scalings</th><th>overloaded</th><th>calls unserved</th></tr>\n"
        for s in services.services {
            let range = s.autoscaled ? "\(s.minReplicas) to \(s.maxReplicas), autoscaled" : "fixed at \(s.maxReplicas)"
            let overloaded = DurationText.text(s.overloadedSeconds)
            html += "<tr><td>\(SVGChart.escape(s.name))</td><td>\(range)</td><td>\(s.peakReplicas)</td><td>\(String(format: "%.1f", s.meanReplicas))</td>"
            html += "<td>\(String(format: "%.1f", s.replicaHours))</td><td>\(s.scalings)</td><td>\(overloaded)</td><td>\(String(format: "%.2f%%", s.unservedShare * 100))\(s.met == false ? " <span class=\"miss\">missed</span>" : "")</td></tr>\n"
        }
        html += "</table>\n<p>Nodes holding any allocation: \(String(format: "%.1f", services.nodeHours)) node-hours."
        if let fixed = services.fixedAtMax {
            html += " The same day with every autoscaled service fixed at its max_replicas: \(String(format: "%.1f", fixed.nodeHours)) node-hours"
            html += " (\(String(format: "%.1f", fixed.replicaHours)) replica-hours, targets \(fixed.targetsMet ? "met" : "<span class=\"miss\">missed</span>: not a fair comparison"));"
            html += fixed.saving >= 0 ? " autoscaling saves <strong>\(String(format: "%.1f%%", fixed.saving * 100))</strong> of node-hours."
                : " autoscaling takes <strong>\(String(format: "%.1f%%", -fixed.saving * 100))</strong> more node-hours."
        }
        html += "</p>\n"
        for s in services.services {
            let chart = SVGChart(
                title: "Replicas of \(s.name), and the replicas its load needed at full CPU", yLabel: "replicas",
                series: [
                    SVGChart.Series(name: "held", points: series.compactMap { sample in sample.replicas?[s.name].map { (sample.time, Double($0)) } }),
                    SVGChart.Series(name: "needed at full CPU", points: series.compactMap { sample in sample.neededReplicas?[s.name].map { (sample.time, Double($0)) } }),
                ], xMax: end)
            html += "<figure>\n\(chart.svg)\n</figure>\n"
        }
        return html
    }

    public static func html(_ result: SimulationResult) -> String {
        let (utilization, reasons, priorities) = columns(result)
        let series = result.series
        let end = series.last?.time ?? result.totals.simulatedSeconds
        func line(_ name: String, _ value: (SimulationResult.Sample) -> Double?) -> SVGChart.Series {
            SVGChart.Series(name: name, points: series.compactMap { s in value(s).map { (s.time, $0) } })
        }
        let charts = [
            SVGChart(
                title: "CPU and memory allocated, by node class", yLabel: "share of ready capacity",
                series: utilization.filter { !$0.hasSuffix(".gpu") }.map { key in line(key, { $0.utilization[key] }) }, yMax: 1, xMax: end),
            SVGChart(
                title: "GPUs allocated, by node class", yLabel: "share of ready GPUs",
                series: utilization.filter { $0.hasSuffix(".gpu") }.map { key in line(key, { $0.utilization[key] }) }, yMax: 1, xMax: end),
            SVGChart(
                title: "Pending requests, by reason", yLabel: "requests",
                series: [line("all", { Double($0.pending) })] + reasons.map { r in line(r, { Double($0.pendingByReason[r] ?? 0) }) }, xMax: end),
            SVGChart(
                title: "Queue wait p95 of requests placed in each interval", yLabel: "seconds",
                series: priorities.map { p in line(p, { $0.waitP95[p] }) }, xMax: end),
            SVGChart(
                title: "Arrivals, placements and preemptions per interval", yLabel: "requests",
                series: [line("arrivals", { Double($0.arrivals) }), line("placed", { Double($0.placed) }), line("preemptions", { Double($0.preemptions) })], xMax: end),
            SVGChart(
                title: "GPU fragmentation and stranded capacity", yLabel: "share",
                series: [line("GPU fragmentation", \.gpuFragmentation), line("stranded CPU", \.strandedCPU), line("stranded memory", \.strandedMemory)],
                yMax: 1, xMax: end),
            SVGChart(title: "Power drawn", yLabel: "kW", series: [line("power", \.powerKW)], xMax: end),
            SVGChart(title: "Cumulative cost", yLabel: "currency units", series: [line("cost", \.cost)], xMax: end),
        ]
        let t = result.totals
        let totalsRows: [(String, String)] = [
            ("nodes", result.nodes.keys.sorted().map { "\($0) \(result.nodes[$0]!)" }.joined(separator: ", ")),
            ("simulated time", "\(number(t.simulatedSeconds / 3_600)) h"), ("events", "\(t.events)"), ("arrivals", "\(t.arrivals)"),
            ("placed", "\(t.placed)"), ("placed again after preemption, failure or maintenance", "\(t.replaced)"), ("completed", "\(t.completed)"),
            ("lease expired", "\(t.leaseExpired)"), ("queue deadline expired", "\(t.deadlineExpired)"), ("rejected", "\(t.rejected)"),
            ("preemptions", "\(t.preemptions)"), ("node failures", "\(t.nodeFailures)"), ("interrupted by failures", "\(t.interruptedByFailure)"),
            ("evicted for maintenance", "\(t.evictedForMaintenance)"), ("pending at the end", "\(t.pendingAtEnd)"),
            ("latency-bound requests", "\(t.latencyBound)"), ("latency violations", "\(t.latencyViolations)"),
            ("mean CPU allocated", String(format: "%.1f%%", t.meanCPUUtilization * 100)), ("mean GPU allocated", String(format: "%.1f%%", t.meanGPUUtilization * 100)),
            ("energy", String(format: "%.0f kWh (%.0f kWh green)", t.energyKWh, t.greenEnergyKWh)), ("cost", String(format: "%.2f", t.cost)),
            ("targets met", t.targetsMet ? "yes" : "no"),
        ] + result.missed.map { ("missed", $0) }
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Suanli simulation: \(SVGChart.escape(result.scenario))</title>
            <style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:0 0 18px}.miss{color:#b00020;font-weight:bold}</style>
            </head><body>
            <h1>Simulation of \(SVGChart.escape(result.scenario))</h1>
            <p>Policy <code>\(SVGChart.escape(result.policy))</code>, seed \(result.seed). Produced by <code>suanli-sim run</code> with the production placement core.</p>
            <h2>Totals</h2>
            <table>\n
            """
        for (name, value) in totalsRows {
            let shown = name == "missed" || (name == "targets met" && value == "no") ? "<span class=\"miss\">\(SVGChart.escape(value))</span>" : SVGChart.escape(value)
            html += "<tr><td>\(SVGChart.escape(name))</td><td>\(shown)</td></tr>\n"
        }
        html += "</table>\n<h2>Queue waits</h2>\n<table><tr><th>group</th><th>name</th><th>requests</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>p95 target</th></tr>\n"
        for w in result.waits {
            let target = w.target.map { "\(DurationText.text($0))\(w.met == false ? " <span class=\"miss\">missed</span>" : "")" } ?? ""
            let cells = [w.p50, w.p95, w.p99, w.max].map { "<td>\(DurationText.text($0))</td>" }.joined()
            html += "<tr><td>\(w.group)</td><td>\(SVGChart.escape(w.name))</td><td>\(w.count)</td>\(cells)<td>\(target)</td></tr>\n"
        }
        html += "</table>\n"
        if let services = result.services { html += servicesHTML(services, series: series, end: end) }
        html += "<h2>Over time</h2>\n"
        for chart in charts { html += "<figure>\n\(chart.svg)\n</figure>\n" }
        return html + "</body></html>\n"
    }
}
