import RoomSyncCore
import RoomSyncEngine

/// What `plan` is given, once its arguments are parsed.
public struct PlanInput: Sendable {
    /// The manifests, asked for while the live rooms are listed (so they may still be parsing); its errors come
    /// before any of the state's or the list's.
    public var desired: @Sendable () async throws -> ManifestReadResult
    /// The manifest paths as given, recorded in a saved plan.
    public var paths: [String]
    public var options: PlanOptions
    public var bookings: BookingSettings
    /// `--out`: where to save the plan for `apply --plan`.
    public var out: OutputFile?

    public init(
        desired: @escaping @Sendable () async throws -> ManifestReadResult, paths: [String], options: PlanOptions = PlanOptions(),
        bookings: BookingSettings = BookingSettings(), out: OutputFile? = nil
    ) {
        self.desired = desired
        self.paths = paths
        self.options = options
        self.bookings = bookings
        self.out = out
    }
}

/// `roomsync plan`: the plan, with the bookings its deletes would cancel (a booked delete is a warning here, apply
/// refuses it), saved when asked. Changes nothing; runs under the caller's lock on `store`, only looking.
public enum PlanUseCase {
    /// Opens the state under its lock, only looking (so an apply in progress is never shown as pending changes),
    /// then the API, and plans.
    public static func run(
        _ input: PlanInput, state: StateLocation, api: any MeetingRoomAPIProvider, notes: any NoteReporter
    ) async throws -> Plan {
        try await state.withLockedStore(command: "plan", lookingOnly: true, notes: notes) { store in
            try await api.withAPI { api, target in
                try await run(input, store: store, api: api, target: target, notes: notes)
            }
        }
    }

    /// Plans with the store (its lock held by the caller) and the API already open.
    public static func run(
        _ input: PlanInput, store: any StateStore, api: any MeetingRoomAPI, target: StateTarget, notes: any NoteReporter
    ) async throws -> Plan {
        let planned = try await SyncPipeline.plan(
            desired: { try await input.desired() }, store: store, api: api, target: target, options: input.options)
        for note in planned.snapshot.notes { notes.note(note) }
        var plan = await input.bookings.checked(planned.plan, api: api, notes: notes)
        if !input.bookings.allowBookedDelete, let refusal = plan.bookings?.refusal(for: plan) {
            // Written as apply's error says it (English until error texts are translated).
            plan.warnings.append(LocalizedText(verbatim: refusal))
        }
        if let out = input.out {
            try out.refuseWritingOver(command: "plan", saving: .savedThingPlan, manifests: try await input.desired().files)
            let saved = SavedPlan(target: target, plan: plan, state: planned.snapshot.state, paths: input.paths)
            try saved.write(to: out.path)
        }
        return plan
    }
}
