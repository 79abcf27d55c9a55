import Foundation

/// A line chart over time drawn as SVG text (inline in a page or a report): axes with ticks, one
/// polyline per series, a legend. Presentation attributes only, no `style`, so that a page's
/// Content Security Policy need not allow inline styles.
public struct SVGChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        /// Seconds on the time axis, and the value.
        public var points: [(x: Double, y: Double)]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// The unit the time axis is labelled in, chosen from its span.
    public enum TimeUnit: String, Sendable {
        case minute, hour, day

        var seconds: Double {
            switch self {
            case .minute: 60
            case .hour: 3_600
            case .day: 86_400
            }
        }
    }

    public var title: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed top of the y axis (1 for shares); nil: from the data.
    public var yMax: Double?
    /// The time axis, from `xMin` (at least the data's first point) to this.
    public var xMax: Double
    public var xMin: Double
    /// The time axis' title in its unit (`simulated hours`, `小时前`).
    public var xTitle: @Sendable (TimeUnit) -> String
    /// A tick of the time axis, in its unit (the figure as it is; `5` for five hours ago).
    public var xTickLabel: @Sendable (Double) -> String
    /// A tick of the value axis (`40%` for a share).
    public var yTickLabel: @Sendable (Double) -> String
    /// Said in the plot when there is nothing to draw.
    public var emptyText: String
    public var width: Double
    public var height: Double

    public init(
        title: String, yLabel: String, series: [Series], yMax: Double? = nil, xMin: Double = 0, xMax: Double,
        xTitle: @escaping @Sendable (TimeUnit) -> String = { "simulated \($0.rawValue)s" }, xTickLabel: @escaping @Sendable (Double) -> String = SVGChart.label,
        yTickLabel: @escaping @Sendable (Double) -> String = SVGChart.label, emptyText: String = "no data", width: Double = 880, height: Double = 260
    ) {
        self.title = title
        self.yLabel = yLabel
        self.series = series
        self.yMax = yMax
        self.xMin = xMin
        self.xMax = xMax
        self.xTitle = xTitle
        self.xTickLabel = xTickLabel
        self.yTickLabel = yTickLabel
        self.emptyText = emptyText
        self.width = width
        self.height = height
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public var svg: String {
        let left = 64.0, right = 180.0, top = 30.0, bottom = 36.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xMin = min(self.xMin, xs.min() ?? self.xMin), xMax = max(self.xMax, xs.max() ?? 0, xMin + 1)
        let peak = ys.max() ?? 0
        let top_ = yMax ?? (peak > 0 ? Self.niceCeiling(peak) : 1)
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - min(max(y / top_, 0), 1) * plotHeight }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(Int(left))\" y=\"18\" font-size=\"14\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        for i in 0...4 {
            let value = top_ * Double(i) / 4, y = py(value)
            out += "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(y))\" x2=\"\(Self.f(left + plotWidth))\" y2=\"\(Self.f(y))\" stroke=\"#e0e0e0\"/>\n"
            out += "<text x=\"\(Self.f(left - 6))\" y=\"\(Self.f(y + 4))\" font-size=\"11\" text-anchor=\"end\">\(yTickLabel(value))</text>\n"
        }
        let span = xMax - xMin
        let unit: TimeUnit = span > 3 * 86_400 ? .day : span > 3 * 3_600 ? .hour : .minute
        for i in 0...6 {
            let x = xMin + span * Double(i) / 6
            out += "<text x=\"\(Self.f(px(x)))\" y=\"\(Self.f(top + plotHeight + 16))\" font-size=\"11\" text-anchor=\"middle\">\(xTickLabel(x / unit.seconds))</text>\n"
        }
        out += "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(height - 4))\" font-size=\"11\" text-anchor=\"middle\">\(Self.escape(xTitle(unit)))</text>\n"
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
            out += "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(top + plotHeight / 2))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#777777\">\(Self.escape(emptyText))</text>\n"
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

    public static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e9 { return String(Int64(value)) }
        return abs(value) >= 10 ? String(format: "%.0f", value) : String(format: "%.2g", value)
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
