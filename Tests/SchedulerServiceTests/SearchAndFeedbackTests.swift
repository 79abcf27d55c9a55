import Foundation
import Placement
import SchedulerService
import Testing

/// The site-wide search and the catalog's ratings, questions and answers, through the engine and
/// its SQLite store.
@Suite("Search and feedback")
struct SearchAndFeedbackTests {
    let water = Principal(user: "w", role: .tenant, tenant: "water")
    let transport = Principal(user: "t", role: .tenant, tenant: "transport")

    func keys(_ hits: [SearchHit]) -> [String] { hits.map(\.key) }

    @Test("words in any script, two characters or more, find entries, requests and nodes the caller may see; title matches first; the index follows changes")
    func search() throws {
        let (scheduler, _, _) = try newScheduler(nodes: 1)
        for (user, tenant) in [("w", "water"), ("t", "transport")] { _ = try scheduler.createUser(id: user, role: .tenant, tenant: tenant, by: admin) }
        let video = try scheduler.registerCatalogEntry(CatalogRegistration(
            kind: .component, name: "视频分析", version: "2", description: "camera streams to events", labels: ["domain": "video"], cpu: 1, memoryMiB: 512,
            owner: "transport"), by: admin)
        let traffic = try scheduler.registerCatalogEntry(CatalogRegistration(
            kind: .component, name: "Traffic forecast", version: "1", description: "交通流量预测 from video", cpu: 1, memoryMiB: 512), by: admin)
        _ = try scheduler.submit([RequestSpec(id: "flood-watch", cpu: 1, memoryMiB: 512)], by: water)
        _ = try scheduler.submit([RequestSpec(id: "bus-lanes", cpu: 1, memoryMiB: 512)], by: transport)

        #expect(keys(try scheduler.search(text: "视频", by: water)) == [video.code])
        #expect(keys(try scheduler.search(text: "流量", by: water)) == [traffic.code], "two characters inside a longer word")
        #expect(keys(try scheduler.search(text: "交通流量", by: water)) == [traffic.code])
        #expect(keys(try scheduler.search(text: "shi pin", by: water)) == [video.code], "the code's transliteration")
        // A newer entry that only mentions traffic comes after the one named so, in any case.
        let lanes = try scheduler.registerCatalogEntry(CatalogRegistration(
            kind: .component, name: "Bus lanes", version: "1", description: "keeps TRAFFIC moving", cpu: 1, memoryMiB: 512), by: admin)
        #expect(keys(try scheduler.search(text: "traffic", by: water)) == [traffic.code, lanes.code])
        #expect(keys(try scheduler.search(text: "forecast", by: water)) == [traffic.code])
        #expect(keys(try scheduler.search(text: "traffic video", by: water)) == [traffic.code], "every word must match")
        #expect(keys(try scheduler.search(text: nil, tag: "domain=video", by: water)) == [video.code])
        #expect(keys(try scheduler.search(text: nil, department: "transport", by: admin)).sorted() == ["transport:bus-lanes", video.code].sorted())
        // A word naming a department (part of its display name, or its id) also finds what it owns
        // or asked for; another tenant still sees only what it may.
        #expect(keys(try scheduler.search(text: "bureau", by: admin)) == ["water:flood-watch"])
        #expect(keys(try scheduler.search(text: "bureau flood", by: admin)) == ["water:flood-watch"])
        #expect(keys(try scheduler.search(text: "transport", by: water)) == [video.code], "transport's entry, not its requests")
        #expect(try scheduler.search(text: "bureau", by: transport).isEmpty)
        #expect(keys(try scheduler.search(text: "' 视频 --", by: water)) == [video.code], "words of punctuation alone are left out")

        // Requests: each tenant its own; nodes: not for tenants.
        #expect(keys(try scheduler.search(text: "flood", by: water)) == ["water:flood-watch"])
        #expect(try scheduler.search(text: "flood", by: transport).isEmpty)
        #expect(try scheduler.search(text: "n1", by: water).isEmpty)
        #expect(keys(try scheduler.search(text: "n1", by: admin)) == ["n1"])
        let nodes = #expect(throws: ServiceError.self) { _ = try scheduler.search(text: "n1", kinds: [.node], by: water) }
        #expect(nodes?.code == .forbidden && nodes?.field == "kind")

        let short = #expect(throws: ServiceError.self) { _ = try scheduler.search(text: "视", by: water) }
        #expect(short?.code == .unprocessable && short?.field == "q")
        #expect(throws: ServiceError.self) { _ = try scheduler.search(text: nil, by: water) }

        // Removed, it is no longer found; changed labels are found by their new value.
        _ = try scheduler.updateCatalogEntry(code: traffic.code, CatalogUpdate(labels: ["domain": "mobility"]), by: admin)
        #expect(keys(try scheduler.search(text: nil, tag: "domain=mobility", by: water)) == [traffic.code])
        try scheduler.removeCatalogEntry(code: traffic.code, by: admin)
        #expect(try scheduler.search(text: "forecast", by: water).isEmpty)
    }

    @Test("only a department that used an entry rates it, once per user; questions get answers, official from the owner; satisfaction averages the ratings")
    func feedback() throws {
        let (scheduler, store, clock) = try newScheduler(nodes: 1)
        for (user, tenant) in [("w", "water"), ("t", "transport")] { _ = try scheduler.createUser(id: user, role: .tenant, tenant: tenant, by: admin) }
        let entry = try scheduler.registerCatalogEntry(CatalogRegistration(kind: .component, name: "db", version: "1", cpu: 1, memoryMiB: 512, owner: "transport"), by: admin)
        let unused = #expect(throws: ServiceError.self) { _ = try scheduler.rate(entry: entry.code, stars: 5, comment: nil, by: water) }
        #expect(unused?.code == .forbidden && unused?.message.contains("has not used") == true)
        #expect(throws: ServiceError.self) { _ = try scheduler.rate(entry: entry.code, stars: 5, comment: nil, by: admin) }
        _ = try scheduler.submit([RequestSpec(id: "db", component: ComponentReference(name: "db"))], by: water)
        #expect(throws: ServiceError.self, "a request still queued has not used the entry") { _ = try scheduler.rate(entry: entry.code, stars: 5, comment: nil, by: water) }
        _ = scheduler.placePending()
        #expect(try scheduler.rate(entry: entry.code, stars: 5, comment: "fast", by: water) == RatingSummary(count: 1, total: 5))
        #expect(try scheduler.rate(entry: entry.code, stars: 3, comment: nil, by: water) == RatingSummary(count: 1, total: 3), "a second rating replaces the first")
        _ = try scheduler.submit([RequestSpec(id: "db", component: ComponentReference(name: "db"))], by: transport)
        _ = scheduler.placePending()
        #expect(try scheduler.rate(entry: entry.code, stars: 4, comment: nil, by: transport).average == 3.5)

        let question = try scheduler.post(entry: entry.code, question: nil, text: "Does it back up nightly?", by: water)
        let unofficial = try scheduler.post(entry: entry.code, question: question.id, text: "We back ours up ourselves", by: admin)
        #expect(unofficial.official, "an admin speaks for the platform")
        let answer = try scheduler.post(entry: entry.code, question: question.id, text: "Yes, at 02:00", by: transport)
        #expect(answer.official && answer.question == question.id)
        #expect(throws: ServiceError.self) { _ = try scheduler.post(entry: entry.code, question: answer.id, text: "an answer to an answer", by: water) }
        let feedback = try scheduler.feedback(entry: entry.code, by: water)
        #expect(feedback.summary.average == 3.5 && feedback.ratings.map(\.user).sorted() == ["t", "w"])
        #expect(feedback.questions.map(\.question.id) == [question.id] && feedback.questions[0].answers.map(\.text) == ["We back ours up ourselves", "Yes, at 02:00"])
        #expect(try scheduler.notifications(unreadOnly: true, before: nil, limit: 10, by: water).map(\.kind) == ["question.answered", "question.answered"])
        #expect(try scheduler.notifications(unreadOnly: true, before: nil, limit: 10, by: transport).map(\.kind) == ["question.asked"], "the owner hears of the question")
        let satisfaction = try scheduler.satisfaction(by: water)
        #expect(satisfaction.map(\.entry.code) == [entry.code] && satisfaction[0].summary.average == 3.5)
        // The sums survive a restart.
        let restarted = try Scheduler(store: store, config: SchedulerConfig(), clock: clock, adminTokenHash: Token.hash(adminToken), bootstrapTokenHash: Token.hash("boot"))
        #expect(try restarted.ratingSummaries()[entry.code] == RatingSummary(count: 2, total: 7))
    }
}
