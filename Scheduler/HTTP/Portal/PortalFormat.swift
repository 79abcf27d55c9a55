import Foundation
import Placement
import SchedulerService

/// How the portal writes times, durations, amounts and states: in the reader's language and
/// units people read (the API keeps seconds, thousandths and raw names).
struct PortalFormat {
    let language: Language

    /// A moment in the scheduler's time zone, to the minute, with the zone (`2026-11-29 20:15 UTC`).
    func time(_ at: Double?) -> String {
        guard let at, at.isFinite else { return "—" }
        return Self.timeFormatter.string(from: Date(timeIntervalSince1970: at))
    }

    private static let timeFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter
    }()

    /// A moment to the second, for the audit log.
    func preciseTime(_ at: Double) -> String { Self.preciseFormatter.string(from: Date(timeIntervalSince1970: at)) }

    private static let preciseFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
        return formatter
    }()

    /// A duration in the largest unit that keeps it readable: `45 s`, `12 min`, `3 h`, `2.5 d`.
    func duration(_ seconds: Double) -> String {
        let (value, unit): (Double, (String, String)) =
            seconds < 120 ? (seconds, ("秒", "s")) : seconds < 7_200 ? (seconds / 60, ("分钟", "min")) : seconds < 172_800 ? (seconds / 3_600, ("小时", "h")) : (seconds / 86_400, ("天", "d"))
        let figure = value >= 10 || value == value.rounded() ? String(Int64(value.rounded())) : String(format: "%.1f", value)
        return language == .zh ? "\(figure) \(unit.0)" : "\(figure) \(unit.1)"
    }

    /// What a request or entry holds per replica: cores, memory, GPUs, disk.
    func resources(_ resources: Resources, gpuMilli: Int64 = 0) -> String {
        var parts = ["\(number(CPU.cores(resources.cpuMillis))) \(language == .zh ? "核" : "cores")", size(mebibytes: resources.memoryMiB)]
        if gpuMilli > 0 { parts.append("\(number(Double(gpuMilli) / 1000)) GPU") }
        if resources.diskGiB > 0 { parts.append("\(resources.diskGiB) GiB \(language == .zh ? "磁盘" : "disk")") }
        return parts.joined(separator: " · ")
    }

    func size(mebibytes: Int64) -> String {
        mebibytes >= 1024 && mebibytes % 1024 == 0 ? "\(mebibytes / 1024) GiB" : mebibytes >= 10_240 ? "\(number(Double(mebibytes) / 1024)) GiB" : "\(mebibytes) MiB"
    }

    /// A share as a percentage, `37%`.
    func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

    /// An amount with its thousands grouped: `1,234,567.89 CNY`.
    func money(_ amount: Double, currency: String) -> String {
        let text = String(format: "%.2f", amount)
        let sign = text.hasPrefix("-") ? "-" : ""
        let digits = text.dropFirst(sign.count)
        let whole = digits.prefix { $0 != "." }, cents = digits.dropFirst(whole.count)
        var grouped = ""
        for (i, digit) in whole.enumerated() {
            if i > 0, (whole.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return "\(sign)\(grouped)\(cents) \(currency)"
    }

    /// A quota's limits that are set, each with what is used of it (`4 / 8 核 · 2 / 16 GiB`); a
    /// dimension beyond any quota one can set is no limit and left out.
    func quota(used: Usage, limit: Quota) -> String {
        var parts: [String] = []
        let bound = Limits.maxQuotaAmount
        let resources = limit.resources, held = used.resources
        if resources.cpuMillis <= bound {
            parts.append("\(number(CPU.cores(held.cpuMillis))) / \(number(CPU.cores(resources.cpuMillis))) \(language == .zh ? "核" : "cores")")
        }
        if resources.memoryMiB <= bound { parts.append("\(size(mebibytes: held.memoryMiB)) / \(size(mebibytes: resources.memoryMiB))") }
        if limit.gpuMilli <= bound { parts.append("\(number(Double(used.gpuMilli) / 1000)) / \(number(Double(limit.gpuMilli) / 1000)) GPU") }
        if resources.diskGiB <= bound { parts.append("\(held.diskGiB) / \(resources.diskGiB) GiB \(language == .zh ? "磁盘" : "disk")") }
        return parts.isEmpty ? language("unlimited") : parts.joined(separator: " · ")
    }

    /// Up to three significant decimals, no trailing zeros.
    func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: abs(value) >= 100 ? "%.1f" : "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A rating as stars with the average and count, or that there is none yet.
    func rating(_ summary: RatingSummary?) -> String {
        guard let summary, let average = summary.average else { return language("noRating") }
        let stars = String(repeating: "★", count: Int(average.rounded())) + String(repeating: "☆", count: 5 - Int(average.rounded()))
        return "\(stars) \(String(format: "%.1f", average)) (\(summary.count))"
    }

    func nodeClass(_ value: NodeClass) -> String { word("class", value.rawValue) }
    func priority(_ value: PriorityClass) -> String { word("priority", value.rawValue) }
    func partition(_ name: String) -> String { word("partition", name) }

    /// A word from the table, or the raw name when the table has none for it.
    func word(_ prefix: String, _ name: String) -> String {
        language.text["\(prefix).\(name)"] ?? name
    }

    /// The CSS class a state is coloured by: good, waiting, ended or bad.
    static func stateClass(_ name: String) -> String {
        switch name {
        case "running", "placed", "ready", "approved": "good"
        case "queued", "submitted", "inReview", "draft", "releasing", "pending", "cordoned", "draining": "waiting"
        case "failed", "rejected", "lost", "suspect", "preempted", "revoked": "bad"
        default: "ended"
        }
    }

    /// Why a request waits, with a retry's moment as a time (the engine says it in seconds).
    func waiting(_ reason: WaitReason) -> String {
        if case .backoff(let until) = reason { return language("retryAt", time(until)) }
        return reason.message
    }

    /// A request's nodes, `n1, n2 ×2`, or that it is not placed.
    func placement(_ record: RequestRecord) -> String {
        guard let replicas = record.allocation?.replicas, !replicas.isEmpty else { return language("notRunning") }
        var counts: [String: Int] = [:]
        for replica in replicas { counts[replica.nodeID, default: 0] += 1 }
        return counts.keys.sorted().map { counts[$0]! > 1 ? "\($0) ×\(counts[$0]!)" : $0 }.joined(separator: ", ")
    }

    /// What a request used, in core-hours and GiB-hours.
    func usage(_ amounts: UsageAmounts) -> String {
        var parts = ["\(number(amounts.cpuCoreHours)) \(language == .zh ? "核时" : "core-h")", "\(number(amounts.memoryGiBHours)) GiB·h"]
        if amounts.gpuHours > 0 { parts.append("\(number(amounts.gpuHours)) GPU·h") }
        return parts.joined(separator: " · ")
    }
}
