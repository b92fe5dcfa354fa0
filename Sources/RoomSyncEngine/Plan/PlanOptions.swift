/// Choices that change what a plan may contain.
public struct PlanOptions: Sendable, Hashable {
    /// Also delete live rooms that no manifest or state knows.
    public var prune: Bool
    /// Let a plan delete more than `massDeleteFraction` of the managed rooms.
    public var allowMassDelete: Bool
    /// Let a plan re-add more than `massDeleteFraction` of the managed rooms because they vanished from `list`.
    public var allowMassReadd: Bool
    /// The rooms the plan covers (SPEC 11); nothing outside it is planned or reported.
    public var subset: Subset
    /// The mass-delete guard's share, in percent: a project target's `mass_delete_percent` (SPEC 11), else 30.
    public var massDeletePercent = Int(Self.massDeleteFraction * 100)

    public static let massDeleteFraction = 0.3
    /// Below this many rooms the guards stay quiet: deleting 2 of 3 rooms is not a mass delete.
    public static let massDeleteMinimumManaged = 10

    public init(prune: Bool = false, allowMassDelete: Bool = false, allowMassReadd: Bool = false, subset: Subset = Subset()) {
        self.prune = prune
        self.allowMassDelete = allowMassDelete
        self.allowMassReadd = allowMassReadd
        self.subset = subset
    }
}
