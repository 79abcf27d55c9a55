import Foundation

/// A progress bar on standard error, redrawn at most ten times a second; nil (quiet) when standard
/// error is not a terminal, so logs and pipes stay clean.
final class ProgressBar {
    private let label: String
    private var lastDraw = ContinuousClock.now
    private var lastShare = -1.0

    init?(label: String) {
        guard isatty(FileHandle.standardError.fileDescriptor) == 1 else { return nil }
        self.label = label
    }

    func update(_ share: Double) {
        let now = ContinuousClock.now
        guard now - lastDraw > .milliseconds(100), share != lastShare else { return }
        lastDraw = now
        lastShare = share
        draw(share)
    }

    private func draw(_ share: Double) {
        let width = 30, filled = Int((min(max(share, 0), 1) * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(String(format: "%3.0f", share * 100))%".utf8))
    }

    func finish() {
        draw(1)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
