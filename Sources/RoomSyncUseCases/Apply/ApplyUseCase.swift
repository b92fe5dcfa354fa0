import RoomSyncCore
import RoomSyncEngine

/// What `apply` is given, once its arguments are parsed.
public struct ApplyInput: Sendable {
    /// The manifests read; `nil` when a saved plan is applied.
    public var desired: ManifestReadResult?
    /// `--plan`: the saved plan to apply exactly.
    public var planFile: String?
    public var planOptions: PlanOptions
    public var bookings: BookingSettings
    /// The most operations offered at once.
    public var parallelism: Int

    public init(
        desired: ManifestReadResult?, planFile: String? = nil, planOptions: PlanOptions = PlanOptions(),
        bookings: BookingSettings = BookingSettings(), parallelism: Int
    ) {
        self.desired = desired
        self.planFile = planFile
        self.planOptions = planOptions
        self.bookings = bookings
        self.parallelism = parallelism
    }
}

/// What apply shows before it changes anything: its notes, and the plan it is about to apply.
public protocol ApplyOutput: NoteReporter {
    func show(_ plan: Plan)
}

/// How an apply ended, when it got as far as applying (a refusal or a cancelled confirmation throws instead).
public struct ApplyOutcome: Sendable {
    /// What the plan changed: `nil` when it had no changes, so nothing was applied (state-only updates are saved).
    public var result: ApplyResult?
    /// The state's name as it may be printed (a database URL without its password).
    public var stateName: String

    /// 0 when everything the plan asked for was done, 1 when an operation failed.
    public var exitStatus: Int32 { result?.isSuccess == false ? 1 : 0 }
}

/// `roomsync apply`: snapshot and plan (or a saved plan checked against now), the bookings a delete would cancel,
/// the settled state saved first, confirmation, the applier. Runs under the caller's lock on `store`.
public enum ApplyUseCase {
    /// Opens the state under its lock, then the API, and applies.
    public static func run(
        _ input: ApplyInput, state: StateLocation, api: any MeetingRoomAPIProvider, output: any ApplyOutput,
        confirmation: any PlanConfirmation, progress: any ApplyReporter
    ) async throws -> ApplyOutcome {
        try await state.withLockedStore(command: "apply", notes: output) { store in
            try await api.withAPI { api, target in
                try await run(
                    input, store: store, api: api, target: target, output: output, confirmation: confirmation,
                    progress: progress)
            }
        }
    }

    /// Applies with the store (its lock held by the caller) and the API already open.
    public static func run(
        _ input: ApplyInput, store: any StateStore, api: any MeetingRoomAPI, target: StateTarget,
        output: any ApplyOutput, confirmation: any PlanConfirmation, progress: any ApplyReporter
    ) async throws -> ApplyOutcome {
        let desired = input.desired
        let planned = try await SyncPipeline.plan(
            desired: { desired }, store: store, api: api, target: target, options: input.planOptions)
        let snapshot = planned.snapshot
        for note in snapshot.notes { output.note(note) }
        var plan = try input.planFile.map {
            try SavedPlan.applicable($0, target: target, live: snapshot.live, state: snapshot.state)
        } ?? planned.plan
        // Deleting a room cancels its bookings: checked again now, before anything is changed.
        let bookingsSeen = plan.bookings
        plan = await input.bookings.checked(
            plan, api: api, horizonDays: input.planFile == nil ? nil : bookingsSeen?.horizonDays, notes: output)
        output.show(plan)
        if let planFile = input.planFile, let bookingsSeen, let now = plan.bookings {
            let since = now.bookedSince(bookingsSeen, in: plan)
            if !since.isEmpty {
                throw RoomSyncError(.applyPlanBookedSince, ["path": planFile, "bookings": since.joined(separator: "; ")])
            }
        }
        if !input.bookings.allowBookedDelete, let refusal = plan.bookings?.refusal(for: plan) {
            throw RoomSyncError(.applyRefusedBookedDelete, ["refusal": refusal])
        }
        let recorder = StateRecorder(state: snapshot.state, store: store, writer: .current(command: "apply"))
        // Journaled adds settled by listing, and a new state's target, are stored before anything else.
        if snapshot.needsSaving {
            try await recorder.saveSettled(from: snapshot.stored, action: "settle")
        }
        guard plan.hasChanges else {
            try await recorder.applyStateUpdates(of: plan)
            return ApplyOutcome(result: nil, stateName: store.displayName)
        }
        // A saved plan was reviewed when it was saved.
        if input.planFile == nil, !(try await confirmation.confirm(plan)) {
            throw RoomSyncError(.applyCancelled)
        }
        let applier = Applier(api: api, recorder: recorder, parallelism: input.parallelism, reporter: progress)
        let result = try await applier.apply(plan)
        return ApplyOutcome(result: result, stateName: store.displayName)
    }
}
