import Placement
import SchedulerService
import Testing

@Suite("Budgets and efficiency")
struct AccountsTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")

    @Test("a monthly budget: billed so far on the price list's basis, the month's forecast at its current rate, alerts at 80%, 100% and on course to pass it")
    func budgets() throws {
        var config = SchedulerConfig()
        config.prices = PriceList(standard: UnitPrices(coreHour: 1))
        let january = try CalendarMonth.range(of: "2027-01")
        let clock = ManualClock(january.from + 10 * 86_400)
        let (scheduler, _, _) = try newScheduler(nodes: 1, clock: clock, config: config)
        #expect(try scheduler.setBudget(tenant: "water", monthly: 2_000, by: admin).monthlyBudget == 2_000)
        let refused = #expect(throws: ServiceError.self) { try scheduler.setBudget(tenant: "water", monthly: -1, by: admin) }
        #expect(refused?.field == "monthly")
        #expect(throws: ServiceError.self) { try scheduler.setBudget(tenant: "water", monthly: 100, by: water) }
        _ = try scheduler.submit([RequestSpec(id: "hold", cpu: 2)], by: water)
        scheduler.placePending()
        // Two minutes in, the forecast already runs at what is held: 2 an hour.
        clock.advance(120)
        let early = try scheduler.budget(tenant: "water", by: water)
        #expect(abs(early.forecast - (early.due + 2 * (january.to - clock.now()) / 3_600)) < 1e-9, "\(early)")
        clock.advance(3_480)

        // Two cores at 1 an hour: 2 so far, and 2 an hour until the month ends.
        let status = try scheduler.budget(tenant: "water", by: water)
        #expect(status.month == "2027-01" && status.due == 2 && status.share == 0.001)
        #expect(abs(status.forecast - (2 + 2 * (january.to - clock.now()) / 3_600)) < 1e-9, "\(status)")
        #expect(try scheduler.alerts(by: admin).filter { $0.kind.hasPrefix("budget") }.isEmpty)

        _ = try scheduler.setBudget(tenant: "water", monthly: 10, by: admin)
        #expect(try scheduler.alerts(by: admin).filter { $0.kind.hasPrefix("budget") }.map(\.kind) == ["budget_forecast"])
        clock.advance(3 * 3_600)
        let nearly = try scheduler.alerts(by: admin).filter { $0.kind.hasPrefix("budget") }
        #expect(nearly.map(\.kind) == ["budget_80_percent", "budget_forecast"] && nearly.first?.target == "tenant/water/budget")
        #expect(nearly.first?.message == "water has used 80% of its budget: 8.00 of 10.00 CNY billed in 2027-01")
        clock.advance(3_600)
        #expect(try scheduler.alerts(by: admin).filter { $0.kind.hasPrefix("budget") }.map(\.kind) == ["budget_exceeded"])
        // The department sees its own alerts, not another's, and its users hear of each kind once a month.
        #expect(try scheduler.alerts(by: water).map(\.kind) == ["budget_exceeded"])
        #expect(throws: ServiceError.self) { try scheduler.alerts(tenant: "transport", by: water) }
        _ = try scheduler.createUser(id: "wanda", role: .tenant, tenant: "water", by: admin)
        let wanda = Principal(user: "wanda", role: .tenant, tenant: "water")
        scheduler.noticeBudgetAlerts()
        scheduler.noticeBudgetAlerts()
        let heard = try scheduler.notifications(unreadOnly: false, before: nil, limit: 10, by: wanda)
        #expect(heard.map(\.kind) == ["budget.exceeded"] && heard.first?.subject == "tenant/water/budget", "\(heard)")

        // A budget of 0: anything billed passes it; no share to show.
        _ = try scheduler.setBudget(tenant: "water", monthly: 0, by: admin)
        #expect(try scheduler.budget(tenant: "water", by: water).share == nil)
        #expect(try scheduler.alerts(by: admin).first { $0.kind.hasPrefix("budget") }?.message == "water's budget is spent: 10.00 of 0.00 CNY billed in 2027-01")

        let other = #expect(throws: ServiceError.self) { try scheduler.budget(tenant: "transport", by: water) }
        #expect(other?.code == .forbidden)
        _ = try scheduler.setBudget(tenant: "water", monthly: nil, by: admin)
        #expect(try scheduler.alerts(by: admin).filter { $0.kind.hasPrefix("budget") }.isEmpty)
        #expect(try scheduler.budget(tenant: "water", by: admin).budget == nil)
    }

    @Test("efficiency: used over allocated per request and tenant, lowest first; a reservation nothing uses comes first")
    func efficiency() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        _ = try scheduler.submit([RequestSpec(id: "web", cpu: 2), RequestSpec(id: "idle", cpu: 1)], batch: true, by: water)
        scheduler.placePending()
        let start = clock.now()
        clock.advance(3_600)
        let measured = MeteringSample(node: "n1", sequence: 1, requestID: "water:web", tenant: "water", start: start, end: start + 3_600, amounts: UsageAmounts(cpuCoreHours: 1))
        #expect(try scheduler.recordSamples([measured], by: admin) == 1)
        let (tenants, requests) = try scheduler.efficiency(from: start, to: start + 3_600, tenant: nil, by: admin)
        #expect(requests.map(\.subject) == ["water:idle", "water:web"])
        #expect(requests.map(\.cpu) == [0, 0.5])
        #expect(tenants.map(\.subject) == ["water"] && tenants.first?.cpu == 1.0 / 3.0)
        let other = #expect(throws: ServiceError.self) { try scheduler.efficiency(from: start, to: start + 3_600, tenant: "transport", by: water) }
        #expect(other?.code == .forbidden && other?.field == "tenant")
    }
}

@Suite("Price lists")
struct PriceListTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")

    @Test("a list takes effect from its moment, never earlier; a bill across a change prices each part with its list; the file's list is published again only when it changes")
    func versions() throws {
        var config = SchedulerConfig()
        config.prices = PriceList(standard: UnitPrices(coreHour: 1))
        let (scheduler, store, clock) = try newScheduler(nodes: 1, config: config)
        let start = clock.now()
        _ = try scheduler.submit([RequestSpec(id: "hold", cpu: 2)], by: water)
        scheduler.placePending()
        let raised = try scheduler.publishPrices(PriceList(standard: UnitPrices(coreHour: 3)), effectiveFrom: start + 3_600, by: admin)
        #expect(raised.publishedBy == "admin" && raised.effectiveFrom == start + 3_600)
        let past = #expect(throws: ServiceError.self) { try scheduler.publishPrices(PriceList(), effectiveFrom: start - 3_600, by: admin) }
        #expect(past?.code == .unprocessable && past?.field == "effectiveFrom")
        let currency = #expect(throws: ServiceError.self) { try scheduler.publishPrices(PriceList(currency: "EUR"), effectiveFrom: start + 7_200, by: admin) }
        #expect(currency?.field == "currency")
        #expect(throws: ServiceError.self) { try scheduler.publishPrices(PriceList(), effectiveFrom: nil, by: water) }

        clock.advance(7_200)
        let bill = try #require(try scheduler.bills(from: start, to: start + 7_200, tenant: "water", by: water).first)
        // An hour of 2 cores at 1, then an hour at 3.
        #expect(bill.due == 8 && bill.allocated.usage.cpuCoreHours == 4 && bill.lines.count == 1)

        let same = try Scheduler(store: store, config: config, clock: clock)
        #expect(try same.prices(by: admin).history.versions.count == 2, "the file's list is unchanged: the API's stays in effect")
        config.prices = PriceList(standard: UnitPrices(coreHour: 5))
        let changed = try Scheduler(store: store, config: config, clock: clock)
        let versions = try changed.prices(by: water).history.versions
        #expect(versions.count == 3 && versions.last?.effectiveFrom == clock.now() && versions.last?.publishedBy == "config")
        #expect(try changed.bills(from: start, to: start + 7_200, tenant: "water", by: admin).first?.due == 8, "never retroactive")
    }

    @Test("use before the first list is on the bill, at no price")
    func beforeTheFirstList() throws {
        let (scheduler, _, clock) = try newScheduler(nodes: 1)
        let start = clock.now()
        _ = try scheduler.submit([RequestSpec(id: "hold", cpu: 2)], by: water)
        scheduler.placePending()
        _ = try scheduler.publishPrices(PriceList(standard: UnitPrices(coreHour: 1)), effectiveFrom: start + 3_600, by: admin)
        clock.advance(7_200)
        let bill = try #require(try scheduler.bills(from: -.infinity, to: .infinity, tenant: "water", by: water).first)
        #expect(bill.allocated.usage.cpuCoreHours == 4 && bill.due == 2)
    }

    @Test("the file's changed list takes effect at the restart, and a list published for later still takes effect when it said")
    func fileBeforeAScheduledList() throws {
        var config = SchedulerConfig()
        config.prices = PriceList(standard: UnitPrices(coreHour: 1))
        let (scheduler, store, clock) = try newScheduler(nodes: 1, config: config)
        _ = try scheduler.submit([RequestSpec(id: "hold", cpu: 1)], by: water)
        scheduler.placePending()
        let start = clock.now()
        _ = try scheduler.publishPrices(PriceList(standard: UnitPrices(coreHour: 10)), effectiveFrom: start + 3_600, by: admin)
        config.prices = PriceList(standard: UnitPrices(coreHour: 2))
        let restarted = try Scheduler(store: store, config: config, clock: clock)
        let versions = try restarted.prices(by: admin).history.versions
        #expect(versions.map(\.list.standard.coreHour) == [1, 2, 10] && versions[1].effectiveFrom == start)
        clock.advance(7_200)
        // An hour at 2 (the file's, from the restart), then an hour at 10 (the one scheduled).
        #expect(try restarted.bills(from: start, to: start + 7_200, tenant: "water", by: admin).first?.due == 12)
    }
}
