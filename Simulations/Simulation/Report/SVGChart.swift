import Foundation

/// A line chart drawn as inline SVG: axes with ticks, one polyline per series, a legend.
struct SVGChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var yLabel: String
    var series: [Series]
    /// Fixed top of the y axis (1 for shares); nil: from the data.
    var yMax: Double?
    /// The time axis, from 0 to this (the run's last sample).
    var xMax: Double
    var width = 880.0
    var height = 260.0

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    var svg: String {
        let left = 64.0, right = 180.0, top = 30.0, bottom = 36.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xMin = min(0, xs.min() ?? 0), xMax = max(self.xMax, xs.max() ?? 0, xMin + 1)
        let top_ = yMax ?? Self.niceCeiling(max(ys.max() ?? 1, 1e-9))
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - min(max(y / top_, 0), 1) * plotHeight }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(Int(left))\" y=\"18\" font-size=\"14\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        for i in 0...4 {
            let value = top_ * Double(i) / 4, y = py(value)
            out += "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(y))\" x2=\"\(Self.f(left + plotWidth))\" y2=\"\(Self.f(y))\" stroke=\"#e0e0e0\"/>\n"
            out += "<text x=\"\(Self.f(left - 6))\" y=\"\(Self.f(y + 4))\" font-size=\"11\" text-anchor=\"end\">\(Self.label(value))</text>\n"
        }
        let span = xMax - xMin
        let (unit, unitName) = span > 3 * 86_400 ? (86_400.0, "day") : span > 3 * 3_600 ? (3_600.0, "hour") : (60.0, "minute")
        for i in 0...6 {
            let x = xMin + span * Double(i) / 6
            out += "<text x=\"\(Self.f(px(x)))\" y=\"\(Self.f(top + plotHeight + 16))\" font-size=\"11\" text-anchor=\"middle\">\(Self.label(x / unit))</text>\n"
        }
        out += "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(height - 4))\" font-size=\"11\" text-anchor=\"middle\">simulated \(unitName)s</text>\n"
        out += "<text x=\"14\" y=\"\(Self.f(top + plotHeight / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(Self.f(top + plotHeight / 2)))\">\(Self.escape(yLabel))</text>\n"
        out += "<rect x=\"\(Self.f(left))\" y=\"\(Self.f(top))\" width=\"\(Self.f(plotWidth))\" height=\"\(Self.f(plotHeight))\" fill=\"none\" stroke=\"#999999\"/>\n"
        for (i, s) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let points = s.points.map { "\(Self.f(px($0.x))),\(Self.f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            let ly = top + 12 + Double(i) * 16
            out += "<line x1=\"\(Self.f(left + plotWidth + 12))\" y1=\"\(Self.f(ly - 4))\" x2=\"\(Self.f(left + plotWidth + 30))\" y2=\"\(Self.f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            out += "<text x=\"\(Self.f(left + plotWidth + 36))\" y=\"\(Self.f(ly))\" font-size=\"11\">\(Self.escape(s.name))</text>\n"
        }
        if series.isEmpty || ys.isEmpty {
            out += "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(top + plotHeight / 2))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n"
        }
        return out + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e9 { return String(Int64(value)) }
        return abs(value) >= 10 ? String(format: "%.0f", value) : String(format: "%.2g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
