import Foundation
import Placement
import SchedulerService
import SchedulerSQLite
import Testing

/// Applications through the engine: steps from policies and entries' attributes, who may decide
/// them, grants from approval, provisioning, revocation, expiry and the inbox.
@Suite("Applications and approvals")
struct ApplicationsTests {
    /// Water applies; transport owns the entries and has an approver; an operator and a security
    /// officer exist.
    struct City {
        let scheduler: Scheduler
        let store: SQLiteStore
        let clock: ManualClock
        let alice = Principal(user: "alice", role: .tenant, tenant: "water")
        let tom = Principal(user: "tom", role: .tenant, tenant: "transport")
        let tina = Principal(user: "tina", role: .tenant, tenant: "transport")
        let olga = Principal(user: "olga", role: .operator)
        let sam = Principal(user: "sam", role: .security)
        let restricted: CatalogEntry
        let conditional: CatalogEntry
        let open: CatalogEntry

        /// `agentless`: the nodes have no agent to wait for, so that days may pass without them
        /// being lost.
        init(aliceClearance: Int = 4, agentless: Bool = false) throws {
            (scheduler, store, clock) = try newScheduler(nodes: agentless ? 0 : 2)
            if agentless {
                _ = try scheduler.registerNode(
                    Node(id: "quiet", nodeClass: .general, site: "d1", capacity: Resources(cpuMillis: 16_000, memoryMiB: 65_536)), awaitingAgent: false, by: admin)
            }
            _ = try scheduler.createUser(id: "alice", role: .tenant, tenant: "water", clearance: aliceClearance, by: admin)
            _ = try scheduler.createUser(id: "tom", role: .tenant, tenant: "transport", approver: true, by: admin)
            _ = try scheduler.createUser(id: "tina", role: .tenant, tenant: "transport", by: admin)
            _ = try scheduler.createUser(id: "olga", role: .operator, tenant: nil, by: admin)
            _ = try scheduler.createUser(id: "sam", role: .security, tenant: nil, by: admin)
            restricted = try scheduler.registerCatalogEntry(CatalogRegistration(
                kind: .component, name: "face-match", version: "1", cpu: 2, memoryMiB: 2048, sharing: .restricted, securityLevel: 3, owner: "transport"), by: admin)
            conditional = try scheduler.registerCatalogEntry(CatalogRegistration(
                kind: .component, name: "traffic-model", version: "1", cpu: 1, memoryMiB: 1024, sharing: .conditional, owner: "transport"), by: admin)
            open = try scheduler.registerCatalogEntry(CatalogRegistration(kind: .offering, name: "small-vm", nodeClass: .general, cpu: 1, memoryMiB: 1024), by: admin)
        }

        func apply(_ items: [ApplicationItem], seconds: Int64 = 86_400 * 3, draft: Bool = false) throws(ServiceError) -> Application {
            try scheduler.apply(ApplicationInput(purpose: "flood season", industry: "water", scenario: "监测", durationSeconds: seconds, items: items, draft: draft), by: alice).application
        }

        func inbox(_ user: String) throws -> [InboxNotification] {
            try scheduler.notifications(unreadOnly: false, before: nil, limit: 100, by: Principal(user: user, role: .tenant, tenant: nil)).reversed()
        }
    }

    @Test("a restricted level-3 entry goes owner, then operator, then security; each decides only its own step; the last approval grants and provisions")
    func threeSteps() throws {
        let city = try City()
        let application = try city.apply([ApplicationItem(entry: city.restricted.code, quantity: 2)])
        #expect(application.state == .submitted)
        #expect(application.lifecycle.steps.map(\.who) == ["owner transport", "operator", "security"])

        // The applicant, a non-approver of the owner, the wrong role: refused, naming who decides.
        // A user of the owner who is no approver does not even see another tenant's application.
        for (caller, code, message) in [
            (city.alice, ServiceError.Code.forbidden, "does not decide its own"), (city.tina, .notFound, "does not exist"), (city.sam, .forbidden, "for owner transport"),
            (city.olga, .forbidden, "for owner transport"),
        ] {
            let error = #expect(throws: ServiceError.self, "\(caller.user)") { _ = try city.scheduler.decideApplication(application.id, approve: true, comment: nil, by: caller) }
            #expect(error?.code == code && error?.message.contains(message) == true, "\(String(describing: error))")
        }
        #expect(try city.scheduler.applications(ApplicationQuery(), awaitingMe: true, by: city.tom).map(\.id) == [application.id])
        #expect(try city.scheduler.applications(ApplicationQuery(), awaitingMe: true, by: city.olga).isEmpty)
        var decided = try city.scheduler.decideApplication(application.id, approve: true, comment: "for the flood season", by: city.tom).application
        #expect(decided.state == .inReview && decided.lifecycle.currentStep == 1)
        #expect(try city.scheduler.applications(ApplicationQuery(), awaitingMe: true, by: city.olga).map(\.id) == [application.id])
        decided = try city.scheduler.decideApplication(application.id, approve: true, comment: nil, by: city.olga).application
        #expect(try city.scheduler.grants(tenant: "water", by: admin).isEmpty, "no grant before the last step")
        let approved = try city.scheduler.decideApplication(application.id, approve: true, comment: "level 3 reviewed", by: city.sam)
        #expect(approved.application.state == .approved)
        #expect(approved.application.lifecycle.steps.map(\.decidedBy) == ["tom", "olga", "sam"])

        // One grant, for the entry, as long as the application asked; the request created in
        // alice's name and placed.
        let grants = try city.scheduler.grants(tenant: "water", by: admin)
        #expect(grants.count == 1 && grants[0].entries == [city.restricted.code] && grants[0].application == application.id)
        #expect(abs(grants[0].expiresAt - (city.clock.now() + 86_400 * 3)) < 1e-6)
        #expect(approved.application.provisioning?.requests == ["water:\(application.id)-1"])
        #expect(city.scheduler.placePending() == 1)
        let request = try city.scheduler.request("water:\(application.id)-1", by: city.alice).record
        #expect(request.phase == .running && request.submittedBy == "alice" && request.spec.replicas == 2 && request.spec.leaseSeconds == 86_400 * 3)
        #expect(request.application == application.id && request.restrictedEntry == city.restricted.code)

        // Alice heard of every step; tom, olga and sam each of the step awaiting them.
        #expect(try city.inbox("alice").map(\.kind) == [
            "application.submitted", "application.step-approved", "application.step-approved", "application.approved", "provisioning.started", "provisioning.done",
        ])
        #expect(try city.inbox("tom").map(\.kind) == ["application.awaiting"])
        #expect(try city.inbox("olga").map(\.kind) == ["application.awaiting"])
        #expect(try city.inbox("sam").map(\.kind) == ["application.awaiting"])
        #expect(try city.inbox("tina").isEmpty, "not an approver")
        #expect(try city.scheduler.unreadNotifications(by: city.alice) == 6)
    }

    @Test("revoking the grant early releases what only it covered, with the reason, and tells the tenant's users")
    func revocation() throws {
        let city = try City()
        let application = try city.apply([ApplicationItem(entry: city.conditional.code)])
        _ = try city.scheduler.decideApplication(application.id, approve: true, comment: nil, by: city.tom)
        #expect(city.scheduler.placePending() == 1)
        // A request of water's own on the public partition needs no grant and stays.
        _ = try city.scheduler.submit([RequestSpec(id: "own", cpu: 1, memoryMiB: 512)], by: city.alice)
        _ = city.scheduler.placePending()
        let grant = try #require(try city.scheduler.grants(tenant: "water", by: admin).first)
        #expect(throws: ServiceError.self) { _ = try city.scheduler.revokeGrant(grant.id, reason: "x", by: city.alice) }
        let revoked = try city.scheduler.revokeGrant(grant.id, reason: "the project ended early", by: city.olga)
        #expect(revoked.revokedAt != nil && revoked.revokedBy == "olga")
        let request = try city.scheduler.request("water:\(application.id)-1", by: city.alice).record
        #expect(request.phase.name == "revoked" && request.phase.reason?.contains("the project ended early") == true)
        #expect(try city.scheduler.request("water:own", by: city.alice).record.phase == .running)
        // The entry is no longer usable: a new submission naming it is refused.
        #expect(throws: ServiceError.self) {
            _ = try city.scheduler.submit([RequestSpec(component: ComponentReference(name: "traffic-model"))], by: city.alice)
        }
        #expect(try city.inbox("alice").suffix(2).map(\.kind) == ["request.revoked", "grant.revoked"])
        #expect(throws: ServiceError.self) { _ = try city.scheduler.revokeGrant(grant.id, reason: "again", by: city.olga) }
    }

    @Test("narrowing a grant revokes what it no longer covers; extending it keeps everything")
    func adjustment() throws {
        let city = try City()
        let application = try city.apply([ApplicationItem(entry: city.conditional.code)])
        _ = try city.scheduler.decideApplication(application.id, approve: true, comment: nil, by: city.tom)
        _ = city.scheduler.placePending()
        let grant = try #require(try city.scheduler.grants(tenant: "water", by: admin).first)
        let later = try city.scheduler.adjustGrant(grant.id, expiresAt: grant.expiresAt + 86_400, entries: nil, priorities: nil, by: city.olga)
        #expect(later.expiresAt == grant.expiresAt + 86_400)
        #expect(try city.scheduler.request("water:\(application.id)-1", by: city.alice).record.phase == .running)
        #expect(throws: ServiceError.self) { _ = try city.scheduler.adjustGrant(grant.id, expiresAt: city.clock.now() - 1, entries: nil, priorities: nil, by: city.olga) }
        _ = try city.scheduler.adjustGrant(grant.id, expiresAt: nil, entries: [], priorities: nil, reason: "the model moved to the public catalog", by: city.olga)
        #expect(try city.scheduler.request("water:\(application.id)-1", by: city.alice).record.phase.name == "revoked")
        let told = try #require(try city.inbox("alice").last)
        #expect(told.kind == "grant.adjusted" && told.message.contains("the model moved to the public catalog") && told.message.contains("lists no entries"), "\(told.message)")
    }

    @Test("clearance, user kind and the entry's fields are checked when applying, naming the item's field")
    func attributes() throws {
        let city = try City(aliceClearance: 2)
        func refusal(_ items: [ApplicationItem]) -> ServiceError? {
            do { _ = try city.apply(items) } catch { return error }
            return nil
        }
        let cleared = try #require(refusal([ApplicationItem(entry: city.restricted.code)]))
        #expect(cleared.code == .forbidden && cleared.field == "items[0].entry" && cleared.message.contains("cleared to level 2"))
        // Nor may she run it by submitting a request for it herself.
        let direct = #expect(throws: ServiceError.self) { _ = try city.scheduler.submit([RequestSpec(component: ComponentReference(name: "face-match"))], by: city.alice) }
        #expect(direct?.code == .forbidden && direct?.field == "component" && direct?.message.contains("cleared to level 2") == true)
        _ = try city.scheduler.updateCatalogEntry(code: city.conditional.code, CatalogUpdate(userKinds: [.research]), by: admin)
        let kind = try #require(refusal([ApplicationItem(entry: city.open.code), ApplicationItem(entry: city.conditional.code)]))
        #expect(kind.code == .forbidden && kind.field == "items[1].entry" && kind.message.contains("government user"))
        let shape = try #require(refusal([ApplicationItem(entry: city.open.code, request: RequestSpec(cpu: 4))]))
        #expect(shape.code == .unprocessable && shape.field == "items[0].request.cpu")
        let nothing = try #require(refusal([ApplicationItem()]))
        #expect(nothing.code == .unprocessable && nothing.field == "items[0]")
        let unknown = try #require(refusal([ApplicationItem(entry: "SL-OFR-GENERAL-NONE")]))
        #expect(unknown.code == .unprocessable && unknown.field == "items[0].entry")
        let tooBig = try #require(refusal([ApplicationItem(request: RequestSpec(cpu: 64, memoryMiB: 1024))]))
        #expect(tooBig.field == "items[0].request.cpu", "\(tooBig)")
    }

    @Test("an open entry within the tenant's quota is approved at once; over it, an operator decides; a policy overrides what sharing implies")
    func automaticApproval() throws {
        let city = try City()
        _ = try city.scheduler.setQuota(tenant: "water", priority: .standard, quota: Quota(resources: Resources(cpuMillis: 4000, memoryMiB: 8192)), by: admin)
        let within = try city.apply([ApplicationItem(entry: city.open.code, quantity: 2)])
        #expect(within.state == .approved && within.lifecycle.steps.isEmpty)
        #expect(try city.scheduler.grants(tenant: "water", by: admin).isEmpty, "an open entry on the public partition needs no grant")
        _ = try city.scheduler.setQuota(tenant: "water", priority: .standard, quota: Quota(resources: Resources(cpuMillis: 6000, memoryMiB: 8192)), by: admin)
        #expect(city.scheduler.placePending() == 1, "the two instances approved hold 2 of the 6 cores")
        let over = try city.apply([ApplicationItem(entry: city.open.code, quantity: 5)])
        #expect(over.state == .submitted && over.lifecycle.steps.map(\.who) == ["operator"], "over what remains of the quota")
        let never = #expect(throws: ServiceError.self) { _ = try city.apply([ApplicationItem(entry: city.open.code, quantity: 7)]) }
        #expect(never?.code == .quotaExceeded && never?.field == "items[0].quantity", "larger than the whole quota: it could never run")
        // A policy that only approves some users automatically sends the others to an operator.
        _ = try city.scheduler.setApprovalPolicy(
            ApprovalPolicy(scope: .entry(city.open.code), steps: [], autoApprove: AutoApproval(userKinds: [.research]), updatedAt: 0, updatedBy: ""), by: city.olga)
        #expect(try city.apply([ApplicationItem(entry: city.open.code)]).lifecycle.steps.map(\.who) == ["operator"])
        // A department applying for its own conditional entry needs no leave of itself.
        let own = try city.scheduler.apply(ApplicationInput(purpose: "our model", durationSeconds: 3600, items: [ApplicationItem(entry: city.conditional.code)]), by: city.tina)
        #expect(own.application.state == .approved)

        // The owner's policy for its conditional entry: approved automatically for government users.
        _ = try city.scheduler.setApprovalPolicy(
            ApprovalPolicy(scope: .entry(city.conditional.code), steps: [StepRule(decider: .owner)], autoApprove: AutoApproval(withinQuota: false, userKinds: [.government]), updatedAt: 0, updatedBy: ""),
            by: city.olga)
        let automatic = try city.apply([ApplicationItem(entry: city.conditional.code)])
        #expect(automatic.state == .approved)
        #expect(try city.scheduler.grants(tenant: "water", by: admin).contains { $0.application == automatic.id && $0.entries == [city.conditional.code] })
        // A level-3 entry keeps its security step whatever the policy says.
        _ = try city.scheduler.setApprovalPolicy(
            ApprovalPolicy(scope: .securityLevel(3), steps: [StepRule(decider: .operator, deadlineHours: 4)], updatedAt: 0, updatedBy: ""), by: city.olga)
        let secured = try city.apply([ApplicationItem(entry: city.restricted.code)])
        #expect(secured.lifecycle.steps.map(\.who) == ["operator", "security"])
        #expect(secured.lifecycle.steps[0].deadlineHours == 4)
        #expect(throws: ServiceError.self) {
            _ = try city.scheduler.setApprovalPolicy(ApprovalPolicy(scope: .partition("public"), steps: [], updatedAt: 0, updatedBy: ""), by: city.olga)
        }
    }

    @Test("a rejection ends the review with its reason; a draft is submitted later; a withdrawal tells the deciders; an undecided step expires at its deadline")
    func otherEnds() throws {
        let city = try City()
        let rejected = try city.apply([ApplicationItem(entry: city.conditional.code)])
        #expect(throws: ServiceError.self) { _ = try city.scheduler.decideApplication(rejected.id, approve: false, comment: " ", by: city.tom) }
        let ended = try city.scheduler.decideApplication(rejected.id, approve: false, comment: "use the public model", by: city.tom).application
        #expect(ended.state == .rejected && ended.lifecycle.reason == "use the public model")
        #expect(try city.inbox("alice").last?.message.contains("use the public model") == true)
        #expect(throws: ServiceError.self) { _ = try city.scheduler.decideApplication(rejected.id, approve: true, comment: nil, by: city.tom) }

        let draft = try city.apply([ApplicationItem(entry: city.conditional.code)], draft: true)
        #expect(draft.state == .draft && draft.lifecycle.steps.isEmpty)
        #expect(try city.scheduler.applications(ApplicationQuery(), awaitingMe: true, by: city.tom).isEmpty)
        let submitted = try city.scheduler.submitApplication(draft.id, by: city.alice).application
        #expect(submitted.state == .submitted)
        let withdrawn = try city.scheduler.withdrawApplication(draft.id, reason: "plans changed", by: city.alice).application
        #expect(withdrawn.state == .withdrawn && withdrawn.lifecycle.reason == "plans changed")
        #expect(try city.inbox("tom").last?.kind == "application.withdrawn")

        let late = try city.apply([ApplicationItem(entry: city.conditional.code)])
        city.clock.advance(71 * 3600)
        _ = city.scheduler.placePending()
        #expect(try city.scheduler.application(late.id, by: city.alice).application.state == .submitted)
        city.clock.advance(3600)
        _ = city.scheduler.placePending()
        let expired = try city.scheduler.application(late.id, by: city.alice).application
        #expect(expired.state == .expired && expired.lifecycle.reason == "owner transport did not decide by the deadline")
        #expect(try city.inbox("alice").last?.kind == "application.expired")
    }

    @Test("a preempting priority without a quota needs an operator's approval and is granted for the application's length")
    func priorityGrant() throws {
        let city = try City()
        #expect(throws: ServiceError.self) { _ = try city.scheduler.submit([RequestSpec(priority: .emergency, cpu: 1, memoryMiB: 512)], by: city.alice) }
        let application = try city.apply([ApplicationItem(request: RequestSpec(priority: .emergency, cpu: 1, memoryMiB: 512))])
        #expect(application.lifecycle.steps.map(\.who) == ["operator"])
        _ = try city.scheduler.decideApplication(application.id, approve: true, comment: nil, by: city.olga)
        let grant = try #require(try city.scheduler.grants(tenant: "water", by: admin).first)
        #expect(grant.priorities == [.emergency] && grant.partition == "public")
        let request = try city.scheduler.request("water:\(application.id)-1", by: city.alice).record
        #expect(request.grantedPriority == true)
        // Now alice may submit at that priority herself, until the grant ends.
        _ = try city.scheduler.submit([RequestSpec(id: "urgent", priority: .emergency, cpu: 1, memoryMiB: 512)], by: city.alice)
        _ = city.scheduler.placePending()
        _ = try city.scheduler.revokeGrant(grant.id, reason: "the emergency is over", by: city.olga)
        #expect(try city.scheduler.request("water:urgent", by: city.alice).record.phase.name == "revoked")
    }

    @Test("an approval whose provisioning was cut short by a restart is provisioned after it, once")
    func provisioningSurvivesRestart() throws {
        let city = try City()
        let application = try city.apply([ApplicationItem(entry: city.conditional.code)])
        _ = try city.scheduler.decideApplication(application.id, approve: true, comment: nil, by: city.tom)
        // What a crash between the approval's commit and provisioning leaves: approved, nothing created.
        var cut = try #require(try city.store.application(id: application.id))
        cut.provisioning = nil
        var batch = StoreBatch()
        batch.applications = [cut]
        try city.store.commit(batch)
        var requests = try city.store.requests(RequestQuery(tenant: "water"))
        #expect(requests.count == 1)
        // The request row is already there too in this replay: the idempotency key finds it.
        let restarted = try Scheduler(store: city.store, config: SchedulerConfig(), clock: city.clock, adminTokenHash: Token.hash(adminToken), bootstrapTokenHash: Token.hash("boot"))
        restarted.provisionApproved()
        let provisioned = try restarted.application(application.id, by: admin).application
        #expect(provisioned.provisioning?.requests == ["water:\(application.id)-1"] && provisioned.provisioning?.error == nil)
        requests = try city.store.requests(RequestQuery(tenant: "water"))
        #expect(requests.count == 1, "provisioned once")
    }

    @Test("a lease longer than a day warns its submitter a day before it ends, again after an extension")
    func leaseNotice() throws {
        let city = try City(agentless: true)
        _ = try city.scheduler.submit([RequestSpec(id: "long", cpu: 1, memoryMiB: 512, leaseSeconds: 3 * 86_400)], by: city.alice)
        _ = try city.scheduler.submit([RequestSpec(id: "short", cpu: 1, memoryMiB: 512, leaseSeconds: 3600)], by: city.alice)
        _ = city.scheduler.placePending()
        city.clock.advance(2 * 86_400 - 10)
        _ = city.scheduler.placePending()
        #expect(try city.inbox("alice").filter { $0.kind == "lease.ending" }.isEmpty)
        city.clock.advance(20)
        _ = city.scheduler.placePending()
        #expect(try city.inbox("alice").filter { $0.kind == "lease.ending" }.map(\.subject) == ["request/water:long"])
        _ = try city.scheduler.extendLease("long", bySeconds: 86_400, by: city.alice)
        city.clock.advance(86_400)
        _ = city.scheduler.placePending()
        #expect(try city.inbox("alice").filter { $0.kind == "lease.ending" }.count == 2)
        try city.scheduler.markNotificationsRead(ids: [], upTo: Int64.max, by: city.alice)
        #expect(try city.scheduler.notifications(unreadOnly: true, before: nil, limit: 100, by: city.alice).isEmpty)
    }

    @Test("a webhook may not point at the platform's own network unless the operator allows it; deliveries are signed")
    func webhookDestinations() throws {
        let city = try City()
        for url in ["http://localhost:8080/x", "http://127.0.0.1/x", "http://[::1]/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data",
                    "http://192.168.1.1/x", "http://172.20.0.1/x", "http://100.64.0.1/x", "http://[fd00::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x"] {
            let refused = #expect(throws: ServiceError.self, "\(url)") { _ = try city.scheduler.createWebhook(tenant: "water", url: url, by: city.alice) }
            #expect(refused?.code == .unprocessable && refused?.field == "url", "\(url): \(String(describing: refused))")
        }
        for url in ["https://hooks.water.example.org/suanli", "http://8.8.8.8/x", "http://172.32.0.1/x", "http://[2001:db8::1]/x"] {
            #expect(try city.scheduler.createWebhook(tenant: "water", url: url, by: city.alice).url == url)
        }
        #expect(NetworkAddress.resolvesPrivate("localhost"), "a name is checked where it resolves")
        var allowing = SchedulerConfig()
        allowing.webhookPrivateAddresses = true
        let (open, _, _) = try newScheduler(nodes: 0, config: allowing)
        #expect(try open.createWebhook(tenant: "water", url: "http://127.0.0.1:9/hook", by: admin).tenant == "water")

        let body = Data(#"{"delivery":1}"#.utf8)
        let header = WebhookSignature.header(body: body, secret: "whsec_x", timestamp: 1_800_000_000)
        #expect(WebhookSignature.verify(header: header, body: body, secret: "whsec_x"))
        #expect(!WebhookSignature.verify(header: header, body: Data(#"{"delivery":2}"#.utf8), secret: "whsec_x"))
        #expect(!WebhookSignature.verify(header: header.replacingOccurrences(of: "t=1800000000", with: "t=1800000001"), body: body, secret: "whsec_x"))
    }

    @Test("the review as a value: steps in order, deadlines from when each is reached, a rejection ends it, nothing after an end")
    func lifecycle() throws {
        var review = ApplicationLifecycle()
        let steps = [ApprovalStep(decider: .owner, department: "transport", deadlineHours: 2), ApprovalStep(decider: .operator, deadlineHours: 1)]
        #expect(try review.handle(.submit(steps: steps, at: 0)) == [.awaitDecision(step: 0)])
        #expect(review.state == .submitted && review.currentStep == 0 && review.steps[0].deadline == 7200 && review.steps[1].deadline == nil)
        #expect(try review.handle(.decide(approve: true, by: "tom", comment: nil, at: 100)) == [.awaitDecision(step: 1), .tellApplicant])
        #expect(review.state == .inReview && review.steps[1].deadline == 3700)
        #expect(try review.handle(.decide(approve: true, by: "olga", comment: "ok", at: 200)) == [.tellApplicant])
        #expect(review.state == .approved && review.currentStep == nil && review.steps.map(\.decidedBy) == ["tom", "olga"])
        #expect(throws: InvalidApplicationTransition.self) { _ = try review.handle(.withdraw(reason: nil)) }
        #expect(throws: InvalidApplicationTransition.self) { _ = try review.handle(.expire) }

        var rejected = ApplicationLifecycle()
        _ = try rejected.handle(.submit(steps: steps, at: 0))
        _ = try rejected.handle(.decide(approve: false, by: "tom", comment: "no budget", at: 1))
        #expect(rejected.state == .rejected && rejected.reason == "no budget" && rejected.steps[1].outcome == nil)
        #expect(throws: InvalidApplicationTransition.self) { _ = try rejected.handle(.decide(approve: true, by: "olga", comment: nil, at: 2)) }

        var expired = ApplicationLifecycle()
        _ = try expired.handle(.submit(steps: steps, at: 0))
        #expect(try expired.handle(.expire) == [.tellApplicant] && expired.reason == "owner transport did not decide by the deadline")

        var automatic = ApplicationLifecycle()
        #expect(try automatic.handle(.submit(steps: [], at: 0)) == [.tellApplicant] && automatic.state == .approved)
    }
}
