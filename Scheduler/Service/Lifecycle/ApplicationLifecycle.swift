/// Where an application is in its review.
public enum ApplicationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Written, not yet sent: the applicant may still change its mind.
    case draft
    /// Sent; its first step is undecided.
    case submitted
    /// At least one step approved, another undecided.
    case inReview
    /// Every step approved (or none was needed): the platform provisions it.
    case approved
    case rejected
    case withdrawn
    /// A step's deadline passed undecided.
    case expired

    public var isFinal: Bool {
        switch self {
        case .draft, .submitted, .inReview: false
        case .approved, .rejected, .withdrawn, .expired: true
        }
    }
}

/// What happens to an application.
public enum ApplicationEvent: Sendable, Hashable, CustomStringConvertible {
    /// Sent for review with the steps its policies ask for (none: approved at once).
    case submit(steps: [ApprovalStep], at: Double)
    /// The current step decided.
    case decide(approve: Bool, by: String, comment: String?, at: Double)
    case withdraw(reason: String?)
    /// The current step's deadline passed.
    case expire

    public var description: String {
        switch self {
        case .submit: "submit"
        case .decide(let approve, _, _, _): approve ? "approve" : "reject"
        case .withdraw: "withdraw"
        case .expire: "expire"
        }
    }
}

/// What the platform must do because of a transition.
public enum ApplicationAction: Sendable, Hashable {
    /// Tell the deciders of the step at this index it awaits them.
    case awaitDecision(step: Int)
    /// Tell the applicant how it went. (An application that reaches `approved` is granted and
    /// provisioned: the state says so.)
    case tellApplicant
}

/// A transition the lifecycle does not allow, e.g. deciding a withdrawn application.
public struct InvalidApplicationTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public var state: ApplicationState
    public var event: ApplicationEvent

    public var description: String { "cannot \(event) an application that is \(state.rawValue)" }
}

/// An application's review as a value, like `RequestLifecycle`: `handle` takes an event and
/// returns the actions to carry out, or throws. Steps are decided in order; a rejection ends the
/// review; the last approval approves.
///
/// draft -> submitted -> inReview -> approved, with the other ends (rejected, withdrawn, expired).
public struct ApplicationLifecycle: Sendable, Hashable, Codable {
    public private(set) var state: ApplicationState = .draft
    public private(set) var steps: [ApprovalStep] = []
    /// Why it was rejected, withdrawn or expired.
    public private(set) var reason: String?

    public init() {}

    /// The index of the undecided step, while under review.
    public var currentStep: Int? {
        guard state == .submitted || state == .inReview else { return nil }
        return steps.firstIndex { $0.outcome == nil }
    }

    public mutating func handle(_ event: ApplicationEvent) throws(InvalidApplicationTransition) -> [ApplicationAction] {
        switch (state, event) {
        case (.draft, .submit(let steps, let at)):
            self.steps = steps
            guard !steps.isEmpty else {
                state = .approved
                return [.tellApplicant]
            }
            state = .submitted
            self.steps[0].deadline = at + self.steps[0].deadlineHours * 3600
            return [.awaitDecision(step: 0)]
        case (.submitted, .decide(let approve, let by, let comment, let at)), (.inReview, .decide(let approve, let by, let comment, let at)):
            guard let index = currentStep else { throw InvalidApplicationTransition(state: state, event: event) }
            steps[index].outcome = approve ? .approved : .rejected
            steps[index].decidedBy = by
            steps[index].decidedAt = at
            steps[index].comment = comment
            guard approve else {
                state = .rejected
                reason = comment
                return [.tellApplicant]
            }
            guard index + 1 < steps.count else {
                state = .approved
                return [.tellApplicant]
            }
            state = .inReview
            steps[index + 1].deadline = at + steps[index + 1].deadlineHours * 3600
            return [.awaitDecision(step: index + 1), .tellApplicant]
        case (.draft, .withdraw(let why)), (.submitted, .withdraw(let why)), (.inReview, .withdraw(let why)):
            state = .withdrawn
            reason = why
            return []
        case (.submitted, .expire), (.inReview, .expire):
            let step = currentStep.map { steps[$0].who } ?? "a step"
            state = .expired
            reason = "\(step) did not decide by the deadline"
            return [.tellApplicant]
        default:
            throw InvalidApplicationTransition(state: state, event: event)
        }
    }
}
