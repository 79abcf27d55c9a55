import Placement

/// What an approval policy applies to: one catalog entry, every entry and free-form request of a
/// partition, or every entry at a security level. The most specific policy that applies wins.
public enum PolicyScope: Sendable, Hashable, Codable, CustomStringConvertible {
    case entry(String)
    case partition(String)
    case securityLevel(Int)

    /// As in the API's path: `entry/CODE`, `partition/NAME`, `level/N`.
    public var description: String {
        switch self {
        case .entry(let code): "entry/\(code)"
        case .partition(let name): "partition/\(name)"
        case .securityLevel(let level): "level/\(level)"
        }
    }

    /// The scope a path's two segments name, or an error naming the segment.
    public static func parse(kind: String, value: String) throws(ServiceError) -> PolicyScope {
        switch kind {
        case "entry": return .entry(value)
        case "partition":
            try Identifier.check(value, field: "value")
            return .partition(value)
        case "level":
            guard let level = Int(value), SecurityLevel.range.contains(level) else {
                throw ServiceError.unprocessable("value", "a security level is 1 to 4, got '\(value)'")
            }
            return .securityLevel(level)
        default:
            throw ServiceError.invalid("scope", "must be entry, partition or level, got '\(kind)'")
        }
    }
}

/// One step a policy asks for.
public struct StepRule: Sendable, Hashable, Codable {
    public var decider: Decider
    /// How long the decider has once the step is reached; default `defaultDeadlineHours`.
    public var deadlineHours: Double?

    public static let defaultDeadlineHours = 72.0
    public static let maxDeadlineHours = 24.0 * 365

    public init(decider: Decider, deadlineHours: Double? = nil) {
        self.decider = decider
        self.deadlineHours = deadlineHours
    }
}

/// When an application needs no step at all.
public struct AutoApproval: Sendable, Hashable, Codable {
    /// Only when what it asks for fits the tenant's quota for its priority beside what the tenant
    /// uses now (a tenant without a quota for that priority does not qualify). Default true.
    public var withinQuota: Bool?
    /// Only for these kinds of users; nil for every kind.
    public var userKinds: [UserKind]?

    public init(withinQuota: Bool? = nil, userKinds: [UserKind]? = nil) {
        self.withinQuota = withinQuota
        self.userKinds = userKinds
    }
}

/// The steps applications under a scope go through, and when they need none.
public struct ApprovalPolicy: Sendable, Hashable, Codable {
    public var scope: PolicyScope
    public var steps: [StepRule]
    public var autoApprove: AutoApproval?
    public var updatedAt: Double
    public var updatedBy: String

    public init(scope: PolicyScope, steps: [StepRule], autoApprove: AutoApproval? = nil, updatedAt: Double, updatedBy: String) {
        self.scope = scope
        self.steps = steps
        self.autoApprove = autoApprove
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// Checks what a caller wrote, naming the field.
    func check() throws(ServiceError) {
        guard steps.count <= 8 else { throw ServiceError.invalid("steps", "a policy has at most 8 steps, got \(steps.count)") }
        if steps.isEmpty, autoApprove == nil {
            throw ServiceError.unprocessable("steps", "a policy without steps approves everything: say so with autoApprove")
        }
        for (i, step) in steps.enumerated() {
            if let hours = step.deadlineHours, !(hours > 0 && hours <= StepRule.maxDeadlineHours) {
                throw ServiceError.invalid("steps[\(i)].deadlineHours", "must be more than 0 and at most \(Int(StepRule.maxDeadlineHours)) hours (a year), got \(hours)")
            }
        }
        if autoApprove?.userKinds?.isEmpty == true { throw ServiceError.invalid("autoApprove.userKinds", "name at least one kind, or leave it out for every kind") }
    }

    /// The policy when none is set for an item, from its entry's attributes: open entries are
    /// approved within quota and otherwise by an operator; conditional ones by their owner;
    /// restricted ones by their owner and an operator; free-form requests by an operator.
    static func implied(by entry: CatalogEntry?) -> (steps: [StepRule], autoApprove: AutoApproval?) {
        switch entry?.sharing {
        case .open?: ([StepRule(decider: .operator)], AutoApproval(withinQuota: true))
        case .conditional?: ([StepRule(decider: .owner)], nil)
        case .restricted?: ([StepRule(decider: .owner), StepRule(decider: .operator)], nil)
        case nil: ([StepRule(decider: .operator)], nil)
        }
    }
}
