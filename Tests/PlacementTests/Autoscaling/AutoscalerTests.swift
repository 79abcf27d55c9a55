import Testing
@testable import Placement

/// The autoscaler's rule with an injected clock and synthetic readings: HPA's formula, tolerance,
/// stabilization windows, rate limits, floors, cool-downs and limits.
struct AutoscalerTests {
    static func cpu(_ target: Double, min: Int = 1, max: Int = 20, up: ScalingRules = .defaultUp, down: ScalingRules = .defaultDown, floors: [ScheduledFloor] = []) -> ScalingPolicy {
        ScalingPolicy(minReplicas: min, maxReplicas: max, target: .cpuUtilization(target), scaleUp: up, scaleDown: down, floors: floors)
    }

    /// Evaluates every 15 s from `start`, each time with the reading `load(t)` gives on the current
    /// replicas; returns the replicas after each evaluation.
    static func run(_ policy: ScalingPolicy, from current: Int, start: Double = 0, steps: Int, load: (Double, Int) -> ScalingReading?) -> [Int] {
        var autoscaler = Autoscaler(policy: policy, current: current, now: start - 15)
        var replicas = current
        var seen: [Int] = []
        for step in 0..<steps {
            let now = start + Double(step) * 15
            replicas = autoscaler.evaluate(current: replicas, reading: load(now, replicas), now: now).desired
            seen.append(replicas)
        }
        return seen
    }

    @Test("scales to ceil(replicas x metric / target), as Kubernetes' HPA")
    func formula() {
        var autoscaler = Autoscaler(policy: Self.cpu(0.6), current: 2, now: 0)
        let decision = autoscaler.evaluate(current: 2, reading: ScalingReading(value: 0.9, replicas: 2), now: 15)
        #expect(decision.recommended == 3)
        #expect(decision.desired == 3)
        #expect(decision.explanation(for: .cpuUtilization(0.6)) == "2 -> 3: CPU 90% of the allocation on 2 replicas, target 60%, recommends 3")
        var calls = Autoscaler(policy: ScalingPolicy(maxReplicas: 50, target: .callsPerSecond(100)), current: 4, now: 0)
        // 4 replicas serve 1,000 calls/s: 250 each against 100 per replica, so 10; at most x2 at once.
        let busy = calls.evaluate(current: 4, reading: ScalingReading(value: 250, replicas: 4), now: 15)
        #expect(busy.recommended == 10)
        #expect(busy.desired == 8)
    }

    @Test("within the 10% tolerance nothing changes; just outside it does")
    func tolerance() {
        var within = Autoscaler(policy: Self.cpu(0.6), current: 4, now: 0)
        let stay = within.evaluate(current: 4, reading: ScalingReading(value: 0.65, replicas: 4), now: 15)
        #expect(stay.recommended == 4 && !stay.changes)
        var outside = Autoscaler(policy: Self.cpu(0.6), current: 4, now: 0)
        #expect(outside.evaluate(current: 4, reading: ScalingReading(value: 0.67, replicas: 4), now: 15).desired == 5)
        var below = Autoscaler(policy: Self.cpu(0.6), current: 4, now: 0)
        #expect(below.evaluate(current: 4, reading: ScalingReading(value: 0.55, replicas: 4), now: 15).recommended == 4)
    }

    @Test("scaling down waits for the highest recommendation of the 300 s window; scaling up does not wait")
    func stabilization() {
        // Busy until t = 0, then idle: 8 replicas, then 10% CPU.
        let seen = Self.run(Self.cpu(0.5), from: 8, steps: 25) { t, n in ScalingReading(value: t < 0 ? 0.5 : 0.1, replicas: n) }
        // The recommendation of 8 made at t = -15 holds while it is inside the window (until t = 285).
        #expect(seen.prefix(19).allSatisfy { $0 == 8 })
        #expect(seen[19] < 8)
        var autoscaler = Autoscaler(policy: Self.cpu(0.5), current: 2, now: 0)
        #expect(autoscaler.evaluate(current: 2, reading: ScalingReading(value: 1, replicas: 2), now: 1).desired == 4)
    }

    @Test("scaling up is limited to the larger of x2 and +4 per 15 s")
    func upRate() {
        // Demand for 40 replicas from 1: 1 -> 5 (+4 beats x2) -> 10 (x2) -> 20 -> 40.
        let seen = Self.run(Self.cpu(0.5, max: 100), from: 1, steps: 5) { _, n in ScalingReading(value: 0.5 * 40 / Double(n), replicas: n) }
        #expect(seen == [5, 10, 20, 40, 40])
        // Twice within one period: the second sees what the first added.
        var autoscaler = Autoscaler(policy: Self.cpu(0.5, max: 100), current: 1, now: 0)
        #expect(autoscaler.evaluate(current: 1, reading: ScalingReading(value: 20, replicas: 1), now: 1).desired == 5)
        #expect(autoscaler.evaluate(current: 5, reading: ScalingReading(value: 4, replicas: 5), now: 6).desired == 5)
        let limited = autoscaler.evaluate(current: 5, reading: ScalingReading(value: 4, replicas: 5), now: 16.5)
        #expect(limited.desired == 10)
        #expect(limited.limitedBy == "at most +100% per 15 s or +4 per 15 s")
    }

    @Test("scaling down by at most a rate per period, and not at all when disabled")
    func downRate() {
        let half = ScalingRules(stabilizationSeconds: 0, rates: [ScalingRate(kind: .percent, value: 50, periodSeconds: 60)])
        let seen = Self.run(Self.cpu(0.5, down: half), from: 16, steps: 9) { _, n in ScalingReading(value: 0.01, replicas: n) }
        // 16 -> 8 at once, then nothing more within the minute, then 4.
        #expect(seen == [8, 8, 8, 8, 4, 4, 4, 4, 2])
        let never = ScalingRules(stabilizationSeconds: 0, rates: [], select: .disabled)
        #expect(Self.run(Self.cpu(0.5, down: never), from: 6, steps: 4) { _, n in ScalingReading(value: 0.01, replicas: n) } == [6, 6, 6, 6])
    }

    @Test("a cool-down holds a direction after any change")
    func cooldown() {
        var up = ScalingRules.defaultUp
        up.cooldownSeconds = 60
        var autoscaler = Autoscaler(policy: Self.cpu(0.5, up: up), current: 2, now: 0)
        #expect(autoscaler.evaluate(current: 2, reading: ScalingReading(value: 1, replicas: 2), now: 15).desired == 4)
        let held = autoscaler.evaluate(current: 4, reading: ScalingReading(value: 1, replicas: 4), now: 30)
        #expect(held.desired == 4)
        #expect(held.limitedBy == "cooling down for 1 min after the last change")
        #expect(autoscaler.evaluate(current: 4, reading: ScalingReading(value: 1, replicas: 4), now: 75).desired == 8)
    }

    @Test("the minimum, the maximum and office-hour floors bound the result; no reading keeps the number")
    func bounds() {
        // Weekdays 08:00-18:00 China time: at least 5.
        let office = ScheduledFloor(days: [1, 2, 3, 4, 5], startMinute: 8 * 60, endMinute: 18 * 60, minReplicas: 5, utcOffsetMinutes: 480)
        let policy = Self.cpu(0.5, min: 2, max: 6, floors: [office])
        // 2026-11-30 is a Monday: 09:00 in Beijing is 01:00 UTC.
        let mondayMidnightUTC = 1_795_996_800.0
        let mondayMorning = mondayMidnightUTC + 3_600
        #expect(office.applies(at: mondayMorning))
        #expect(!office.applies(at: mondayMorning - 2 * 3_600))
        #expect(!office.applies(at: mondayMorning - 2 * 86_400))
        var autoscaler = Autoscaler(policy: policy, current: 2, now: mondayMorning - 15)
        let floor = autoscaler.evaluate(current: 2, reading: nil, now: mondayMorning)
        #expect(floor.desired == 5)
        #expect(floor.limitedBy == "at least 5 at this hour (a scheduled floor)")
        let saturday = mondayMorning - 2 * 86_400
        var quiet = Autoscaler(policy: policy, current: 3, now: saturday - 15)
        #expect(quiet.evaluate(current: 3, reading: nil, now: saturday).desired == 3)
        var busy = Autoscaler(policy: policy, current: 3, now: saturday - 15)
        let capped = busy.evaluate(current: 3, reading: ScalingReading(value: 1, replicas: 4), now: saturday)
        #expect(capped.desired == 6)
        #expect(capped.limitedBy == "at most 6 (maxReplicas)")
        // A floor over midnight belongs to the day it starts on.
        let night = ScheduledFloor(days: [5], startMinute: 22 * 60, endMinute: 2 * 60, minReplicas: 3, utcOffsetMinutes: 0)
        let friday = mondayMidnightUTC + 4 * 86_400
        #expect(night.applies(at: friday + 23 * 3_600))
        #expect(night.applies(at: friday + 25 * 3_600))
        #expect(!night.applies(at: friday + 1 * 3_600))
    }

    @Test("the same readings at the same times give the same decisions")
    func deterministic() {
        func daily(_ t: Double, _ n: Int) -> ScalingReading? {
            // Cores of work: 2 at midnight rising to 12 at noon and back, shared by the replicas.
            let dayShare: Double = t.truncatingRemainder(dividingBy: 86_400) / 86_400
            let cores: Double = 2 + 20 * min(dayShare, 1 - dayShare)
            return ScalingReading(value: min(1, cores / Double(n)), replicas: n)
        }
        let a = Self.run(Self.cpu(0.6, max: 50), from: 3, steps: 5_760, load: daily)
        let b = Self.run(Self.cpu(0.6, max: 50), from: 3, steps: 5_760, load: daily)
        #expect(a == b)
        #expect(a.max()! > a.min()!)
    }

    @Test("a policy that cannot work is refused, naming the field")
    func validation() {
        func field(_ policy: ScalingPolicy) -> String? {
            do { try policy.validate() } catch { return error.field }
            return nil
        }
        #expect(field(Self.cpu(0.5, min: 5, max: 3)) == "scaling.minReplicas")
        #expect(field(Self.cpu(0.5, max: 0)) == "scaling.maxReplicas")
        #expect(field(Self.cpu(1.5)) == "scaling.target.cpuUtilizationPercent")
        #expect(field(Self.cpu(0.5, up: ScalingRules(stabilizationSeconds: 7_200, rates: [ScalingRate(kind: .replicas, value: 1, periodSeconds: 15)]))) == "scaling.scaleUp.stabilizationSeconds")
        #expect(field(Self.cpu(0.5, down: ScalingRules(stabilizationSeconds: 0, rates: [ScalingRate(kind: .percent, value: 0, periodSeconds: 15)]))) == "scaling.scaleDown.rates[0].value")
        #expect(field(Self.cpu(0.5, max: 4, floors: [ScheduledFloor(days: [1], startMinute: 0, endMinute: 60, minReplicas: 9, utcOffsetMinutes: 0)])) == "scaling.floors[0].minReplicas")
        #expect(field(Self.cpu(0.5)) == nil)
        var gang = Fixture.request(replicas: 2, gang: true)
        gang.scaling = Self.cpu(0.5)
        #expect(throws: ValidationError.self) { try RequestValidator().resolve(gang, in: Fixture.state([Fixture.node("n1")])) }
    }
}

/// The placement side of scaling: new replicas nearest the origin first, the farthest given back
/// first, quotas counting only what is missing.
struct ScalingPlacementTests {
    @Test("an autoscaled request near its users fills its edge site first, then the nearest site within its bound")
    func nearestFirst() {
        var state = Fixture.state([
            Fixture.node("edge-a", .edge, site: "edge-1", cpu: 2_000), Fixture.node("cloud-near", site: "dc-1", cpu: 64_000),
            Fixture.node("cloud-far", site: "dc-2", cpu: 64_000),
        ])
        var request = Fixture.request("web", replicas: 4, cpu: 1_000, origin: "edge-1", maxLatency: 20, classes: [.edge, .general])
        request.scaling = AutoscalerTests.cpu(0.5)
        var placer = Fixture.placer("best-fit", scan: .feasible(1))
        let placement = Fixture.placeAndCommit(request, in: &state, placer: &placer)!
        #expect(placement.replicas.map(\.nodeID) == ["edge-a", "edge-a", "cloud-near", "cloud-near"])
        // Scaling in gives back the farthest first, the newest among equals.
        #expect(state.replicasToRemove(3, of: request) == [3, 2, 1])
        let freed = state.release(replicas: [3, 2], of: "web")
        #expect(freed.count == 2)
        #expect(state.freeResources(ofNode: state.index(ofNode: "cloud-near")!).cpuMillis == 64_000)
        #expect(state.allocations["web"]!.replicas.map(\.replica) == [0, 1])
        // Scaling out again takes the lowest free numbers.
        request.replicas = 3
        guard case .placed(let again) = placer.place(request, in: state) else { Issue.record("not placed"); return }
        #expect(again.replicas.map(\.replica) == [2])
        #expect(again.replicas.map(\.nodeID) == ["cloud-near"])
    }

    @Test("a request scaled out over its quota waits for its missing replicas only, and goes when the tenant frees quota")
    func quotaCountsWhatIsMissing() {
        let quota = SchedulingQueueTests.cpuQuota(4_000)
        var queue = SchedulingQueueTests.queue(tenants: ["water": TenantPolicy(quotas: [.standard: quota])])
        var cluster = Fixture.state([Fixture.node("n1", cpu: 16_000)])
        var web = Fixture.request("web", tenant: "water", replicas: 2, cpu: 1_000)
        _ = queue.submit(web)
        _ = queue.submit(Fixture.request("other", tenant: "water", cpu: 1_000))
        #expect(SchedulingQueueTests.summary(SchedulingQueueTests.pass(&queue, &cluster)) == ["web@n1+n1", "other@n1"])
        // 2 held, 3 wanted: the one more fits the quota of 4 cores (the 2 held are not counted twice).
        web.replicas = 3
        #expect(queue.submit(web, partlyPlaced: true) == nil)
        #expect(SchedulingQueueTests.summary(SchedulingQueueTests.pass(&queue, &cluster)) == ["web@n1"])
        // 4 wanted with another request holding a core: it waits with the reason rather than being rejected.
        web.replicas = 4
        #expect(queue.submit(web, partlyPlaced: true) == nil)
        #expect(SchedulingQueueTests.summary(SchedulingQueueTests.pass(&queue, &cluster)) == ["web:quota"])
        // Another request of the tenant gives back what it holds: the fourth replica goes.
        cluster.release("other")
        queue.credit("other")
        #expect(SchedulingQueueTests.summary(SchedulingQueueTests.pass(&queue, &cluster)) == ["web@n1"])
        // Scaling in gives quota back too.
        cluster.release(replicas: [3], of: "web")
        queue.uncharge(web, replicas: 1)
        #expect(queue.admission.usage(of: "water", priority: .standard).resources.cpuMillis == 3_000)
    }
}
