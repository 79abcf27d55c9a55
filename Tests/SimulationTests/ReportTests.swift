import Foundation
import Testing

@testable import Simulation

/// A headless Chromium, where installed (`scripts/test` installs it).
let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }

struct ReportTests {
    static func city() throws -> (result: SimulationResult, directory: String) {
        let result = try Simulator(input: try SimulationInput.cityDay()).run()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-report-\(UUID().uuidString)").path
        try ReportFiles.write(result, to: directory)
        return (result, directory)
    }

    @Test func theHTMLReportIsSelfContained() throws {
        let (result, directory) = try Self.city()
        let html = try String(contentsOfFile: "\(directory)/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 8)
        #expect(html.components(separatedBy: "<polyline ").count - 1 >= 20)
        // Nothing fetched from elsewhere: no scripts, stylesheets or images by address.
        for outside in ["<script", "src=", "href=", "https://"] {
            #expect(!html.contains(outside), "\(outside)")
        }
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        #expect(html.contains("Simulation of city"))
        #expect(html.contains("\(result.totals.arrivals)"))
    }

    /// Renders the report in a real browser and looks at the pixels: the charts' lines are there.
    @Test(.enabled(if: chromium != nil, "needs chromium (scripts/test installs it)"))
    func theReportRendersInAHeadlessBrowser() throws {
        let (_, directory) = try Self.city()
        let screenshot = "\(directory)/screenshot.png"
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: chromium!)
        browser.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(directory)/profile",
            "--window-size=1000,2400", "--screenshot=\(screenshot)", "file://\(directory)/report.html",
        ]
        browser.standardOutput = FileHandle.nullDevice
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        browser.waitUntilExit()
        #expect(browser.terminationStatus == 0)
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // IHDR: width and height, big-endian, at bytes 16...23.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1000 && height == 2400)
        // Pixels in the first two series colours (#1f77b4 blue, #d62728 red), counted by decoding the PNG.
        let counter = Process()
        counter.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        counter.arguments = ["python3", "-c", Self.countColours, screenshot]
        let out = Pipe()
        counter.standardOutput = out
        try counter.run()
        let counts = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        counter.waitUntilExit()
        #expect(counts.count == 2)
        #expect(counts.allSatisfy { $0 > 500 }, "series pixels: \(counts)")
    }

    /// Decodes an 8-bit RGB(A) PNG with zlib and counts pixels close to two colours.
    static let countColours = """
        import sys, zlib, struct
        data = open(sys.argv[1], 'rb').read()
        pos, idat, w, h, ctype = 8, b'', 0, 0, 0
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
            if kind == b'IHDR': w, h, _, ctype = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT': idat += body
        bpp = 4 if ctype == 6 else 3
        raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
        for y in range(h):
            f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(line); prev = line
        def count(r, g, b):
            return sum(1 for line in rows for x in range(0, stride, bpp) if abs(line[x] - r) < 24 and abs(line[x + 1] - g) < 24 and abs(line[x + 2] - b) < 24)
        print(count(0x1f, 0x77, 0xb4), count(0xd6, 0x27, 0x28))
        """
}
