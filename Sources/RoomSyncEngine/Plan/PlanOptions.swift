/// Choices that change what a plan may contain.
public struct PlanOptions: Sendable, Hashable {
    /// Also delete live rooms that no manifest or state knows.
    public var prune: Bool
    /// Let a plan delete more than `massDeleteFraction` of the managed rooms.
    public var allowMassDelete: Bool
    /// The rooms the plan covers (SPEC 11); nothing outside it is planned or reported.
    public var subset: Subset

    public static let massDeleteFraction = 0.3
    /// Below this many managed rooms the guard stays quiet: deleting 2 of 3 rooms is not a mass delete.
    public static let massDeleteMinimumManaged = 10

    public init(prune: Bool = false, allowMassDelete: Bool = false, subset: Subset = Subset()) {
        self.prune = prune
        self.allowMassDelete = allowMassDelete
        self.subset = subset
    }
}
