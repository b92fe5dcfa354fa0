import Foundation
import RoomSyncCore
import RoomSyncTestSupport
import Testing

@testable import RoomSyncEngine

/// SPEC 11: `--target`, `--exclude`, `--city`, `--building`. Nothing outside the subset is planned, touched or
/// reported, and a key outside it is never deleted or forgotten because the subset hides its manifest entry.
@Suite struct SubsetTests {
    static let beijing = RoomLocation(city: "北京", building: "中关村", floor: "3F")

    static func options(_ subset: Subset, prune: Bool = false, allowMassDelete: Bool = false) -> PlanOptions {
        PlanOptions(prune: prune, allowMassDelete: allowMassDelete, subset: subset)
    }

    @Test(arguments: [
        ("sz-*", "sz-18f", true), ("sz-*", "bj-1", false), ("*-large", "sz-18f-large", true), ("sz-?f", "sz-3f", true),
        ("sz-?f", "sz-18f", false), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false), ("*", "", true),
        ("exact", "exact", true), ("exact", "exactly", false),
    ])
    func globsMatchKeys(pattern: String, key: String, matches: Bool) {
        #expect(Subset.glob(pattern, matches: key) == matches)
    }

    @Test func keyPatternsPlanOnlyTheirKeysAndSayHowMany() throws {
        let sz = Fixture.live(1, name: "sz-a-room")
        let bj = Fixture.live(2, name: "bj-a-room", location: Self.beijing)
        let state = Fixture.state([("sz-a", sz), ("bj-a", bj)])
        let plan = try Planner.plan(
            desired: [
                Fixture.desired("sz-a", capacity: 12), Fixture.desired("sz-new"),
                Fixture.desired("bj-a", capacity: 20, location: Self.beijing), Fixture.desired("bj-new", location: Self.beijing),
            ],
            live: [sz, bj], state: state, options: Self.options(Subset(targets: ["sz-*"])))
        #expect(plan.changes.map(\.key) == ["sz-a", "sz-new"])
        #expect(plan.subset?.rooms == 1)
        #expect(plan.subset?.managedRooms == 2)
        #expect(PlanRenderer.summaryLine(plan) == "Plan: 1 to add, 1 to change, 0 to delete, 0 to adopt. (subset: 1 of 2 managed rooms)")

        let excluded = try Planner.plan(
            desired: [Fixture.desired("sz-a", capacity: 12), Fixture.desired("bj-a", capacity: 20, location: Self.beijing)],
            live: [sz, bj], state: state, options: Self.options(Subset(excludes: ["sz-*"])))
        #expect(excluded.changes.map(\.key) == ["bj-a"])
    }

    /// The safety rule: a key removed from the manifests but outside the subset is simply not planned; inside it,
    /// it is deleted as without a subset.
    @Test func aRemovedKeyOutsideTheSubsetIsNeverDeletedOrForgotten() throws {
        let sz = Fixture.live(1, name: "sz-a-room")
        let bj = Fixture.live(2, name: "bj-a-room", location: Self.beijing)
        let goneBJ = Fixture.live(3, name: "bj-gone-room", location: Self.beijing)
        let state = Fixture.state([("sz-a", sz), ("bj-a", bj), ("bj-gone", goneBJ)])
        // Neither bj key is in the manifests any more, and bj-gone's room is gone live.
        let desired = [Fixture.desired("sz-a")]
        for subset in [Subset(targets: ["sz-*"]), Subset(excludes: ["bj-*"]), Subset(city: "深圳"), Subset(city: "深圳", building: "腾讯大厦")] {
            let plan = try Planner.plan(desired: desired, live: [sz, bj], state: state, options: Self.options(subset, prune: true))
            #expect(plan.changes.isEmpty, "\(subset.description): \(plan.changes.map(\.key))")
            #expect(plan.forgottenKeys.isEmpty, "\(subset.description)")
        }
        // The same subsets aimed at Beijing delete bj-a and forget bj-gone, as a plan of everything would.
        for subset in [Subset(targets: ["bj-*"]), Subset(city: "北京")] {
            let plan = try Planner.plan(desired: desired, live: [sz, bj], state: state, options: Self.options(subset))
            #expect(plan.changes.map(\.key) == ["bj-a"], "\(subset.description)")
            #expect(plan.changes.map(\.action) == [.delete])
            #expect(plan.forgottenKeys == ["bj-gone"], "\(subset.description)")
        }
    }

    @Test func aLocationFilterPlansTheRoomsOfItsSiteByTheirManifestLocation() throws {
        let sz = Fixture.live(1, name: "a-room")
        let bj = Fixture.live(2, name: "b-room", location: Self.beijing)
        let state = Fixture.state([("a", sz), ("b", bj)])
        // a moves to Beijing in the manifest: the manifest says where it belongs, so a Beijing subset covers it.
        let plan = try Planner.plan(
            desired: [Fixture.desired("a", location: Self.beijing), Fixture.desired("b", capacity: 30, location: Self.beijing)],
            live: [sz, bj], state: state, options: Self.options(Subset(city: "北京", building: "中关村")))
        #expect(plan.changes.map(\.key) == ["a", "b"])
        let shenzhen = try Planner.plan(
            desired: [Fixture.desired("a", location: Self.beijing), Fixture.desired("b", capacity: 30, location: Self.beijing)],
            live: [sz, bj], state: state, options: Self.options(Subset(city: "深圳")))
        #expect(shenzhen.changes.isEmpty)
        #expect(shenzhen.subset?.rooms == 0)
    }

    @Test func pruneWithASubsetDeletesOnlyUnmanagedRoomsItsLocationFilterCovers() throws {
        let managedBJ = Fixture.live(1, name: "bj-a-room", location: Self.beijing)
        let strayBJ = Fixture.live(2, name: "stray in Beijing", location: Self.beijing)
        let straySZ = Fixture.live(3, name: "stray in Shenzhen")
        let noLocation = Fixture.live(4, name: "nowhere", location: nil)
        let state = Fixture.state([("bj-a", managedBJ)])
        let live = [managedBJ, strayBJ, straySZ, noLocation]
        let desired = [Fixture.desired("bj-a", location: Self.beijing)]

        let byCity = try Planner.plan(desired: desired, live: live, state: state, options: Self.options(Subset(city: "北京"), prune: true))
        #expect(byCity.changes.map(\.meetingroomID) == [2])
        #expect(byCity.changes.map(\.isUnmanagedRoom) == [true])

        // Key patterns alone, or with a location: unmanaged rooms have no key, so nothing is pruned or reported.
        for subset in [Subset(targets: ["bj-*"]), Subset(excludes: ["sz-*"]), Subset(targets: ["bj-*"], city: "北京")] {
            let plan = try Planner.plan(desired: desired, live: live, state: state, options: Self.options(subset, prune: true))
            #expect(plan.changes.isEmpty, "\(subset.description)")
            let reported = try Planner.plan(desired: desired, live: live, state: state, options: Self.options(subset))
            #expect(reported.warnings.isEmpty, "\(subset.description): \(reported.warnings)")
        }
        // Without --prune the location's unmanaged rooms are reported, the others not.
        let reported = try Planner.plan(desired: desired, live: live, state: state, options: Self.options(Subset(city: "北京")))
        #expect(reported.warnings.map(\.english) == ["1 live room(s) are not managed by roomsync and were left alone (--prune deletes them)"])
    }

    /// A room another key manages, outside the subset, is neither adopted by a subset key nor pruned.
    @Test func roomsManagedOutsideTheSubsetAreNeverAdoptedOrPruned() throws {
        let other = Fixture.live(1, name: "twin")
        let state = Fixture.state([("sz-other", other)])
        let plan = try Planner.plan(
            desired: [Fixture.desired("sz-other", name: "twin"), Fixture.desired("bj-twin", name: "twin")],
            live: [other], state: state, options: Self.options(Subset(targets: ["bj-*"])))
        #expect(plan.changes.map(\.action) == [.add])
        // The manifest moves sz-other to Beijing, so a Shenzhen subset does not cover it, though its live room is
        // still in Shenzhen: that room is managed, not one to prune.
        let pruned = try Planner.plan(
            desired: [Fixture.desired("sz-other", name: "twin", location: Self.beijing)], live: [other], state: state,
            options: Self.options(Subset(city: "深圳"), prune: true))
        #expect(pruned.changes.isEmpty, "\(pruned.changes)")
    }

    @Test func movesAndImportsFollowTheirKeys() throws {
        let a = Fixture.live(1, name: "a-room")
        let console = Fixture.live(2, name: "console-room")
        let state = Fixture.state([("sz-old", a)])
        var operations = ManifestOperations()
        operations.moves = [ManifestOperations.Move(from: "sz-old", to: "bj-new", origin: Fixture.origin)]
        operations.imports = [ManifestOperations.Import(key: "bj-imported", meetingroomID: 2, origin: Fixture.origin)]
        let desired = [Fixture.desired("bj-new", name: "a-room"), Fixture.desired("bj-imported", name: "console-room")]
        // The move's new key and the import's key are bj-: a bj- subset plans both.
        let bj = try Planner.plan(
            desired: desired, live: [a, console], state: state, options: Self.options(Subset(targets: ["bj-*"])),
            operations: operations)
        #expect(bj.changes.map(\.action) == [.move, .import])
        // An sz- subset plans neither, and above all does not delete sz-old, which the move renames.
        let sz = try Planner.plan(
            desired: desired, live: [a, console], state: state, options: Self.options(Subset(targets: ["sz-*"]), prune: true),
            operations: operations)
        #expect(sz.changes.isEmpty, "\(sz.changes.map { "\($0.action) \($0.key)" })")
        #expect(sz.forgottenKeys.isEmpty)
    }

    /// A live room that an `import:` entry outside the subset names is that key's, not an unmanaged room to prune
    /// or for a subset key to adopt.
    @Test func aRoomAnImportOutsideTheSubsetNamesIsNeverPrunedOrAdopted() throws {
        let console = Fixture.live(2, name: "console-room")
        var operations = ManifestOperations()
        operations.imports = [ManifestOperations.Import(key: "bj-imported", meetingroomID: 2, origin: Fixture.origin)]
        let desired = [
            Fixture.desired("bj-imported", name: "console-room", location: Self.beijing),
            Fixture.desired("sz-twin", name: "console-room"),
        ]
        let plan = try Planner.plan(
            desired: desired, live: [console], state: Fixture.state([]), options: Self.options(Subset(city: "深圳"), prune: true),
            operations: operations)
        #expect(plan.changes.map { "\($0.action) \($0.key)" } == ["add sz-twin"])
        let pruned = try Planner.plan(
            desired: [desired[0]], live: [console], state: Fixture.state([]), options: Self.options(Subset(city: "深圳"), prune: true),
            operations: operations)
        #expect(pruned.changes.isEmpty, "\(pruned.changes.map(\.key))")
    }

    /// The guard counts within the subset: 4 deletes of 10 covered rooms is a mass delete even among 40 managed.
    @Test func theMassDeleteGuardCountsWithinTheSubset() throws {
        let sz = (0..<10).map { Fixture.live($0 + 1, name: "sz-\($0)-room") }
        let bj = (0..<30).map { Fixture.live($0 + 100, name: "bj-\($0)-room", location: Self.beijing) }
        let state = Fixture.state(sz.enumerated().map { ("sz-\($0.offset)", $0.element) } + bj.enumerated().map { ("bj-\($0.offset)", $0.element) })
        let desired = (4..<10).map { Fixture.desired("sz-\($0)") } + (0..<30).map { Fixture.desired("bj-\($0)", location: Self.beijing) }
        // Everything: 4 of 40 is 10%, under the guard.
        #expect(try Planner.plan(desired: desired, live: sz + bj, state: state).count(.delete) == 4)
        for subset in [Subset(targets: ["sz-*"]), Subset(city: "深圳")] {
            #expect(throws: MassChangeRefusal.self, "\(subset.description)") {
                try Planner.plan(desired: desired, live: sz + bj, state: state, options: Self.options(subset))
            }
            let allowed = try Planner.plan(desired: desired, live: sz + bj, state: state, options: Self.options(subset, allowMassDelete: true))
            #expect(allowed.count(.delete) == 4)
        }
    }

    /// The re-add guard counts within the subset too: 10 vanished of 40 managed is 25%, of the subset's 10 all.
    @Test func theMassReaddGuardCountsWithinTheSubset() throws {
        let sz = (0..<10).map { Fixture.live($0 + 1, name: "sz-\($0)-room") }
        let bj = (0..<30).map { Fixture.live($0 + 100, name: "bj-\($0)-room", location: Self.beijing) }
        let state = Fixture.state(sz.enumerated().map { ("sz-\($0.offset)", $0.element) } + bj.enumerated().map { ("bj-\($0.offset)", $0.element) })
        let desired = (0..<10).map { Fixture.desired("sz-\($0)") } + (0..<30).map { Fixture.desired("bj-\($0)", location: Self.beijing) }
        #expect(try Planner.plan(desired: desired, live: bj, state: state).count(.add) == 10)
        #expect(throws: MassChangeRefusal.self) {
            try Planner.plan(desired: desired, live: bj, state: state, options: Self.options(Subset(targets: ["sz-*"])))
        }
    }

    @Test func aStalePlansHintMakesItAgainWithItsSubset() throws {
        let sz = Fixture.live(1, name: "sz-a-room")
        let state = Fixture.state([("sz-a", sz)])
        let plan = try Planner.plan(
            desired: [Fixture.desired("sz-a", capacity: 12)], live: [sz], state: state,
            options: Self.options(Subset(targets: ["sz-*"], excludes: ["sz-lab"], city: "深圳", building: "腾讯 大厦")))
        let saved = SavedPlan(target: state.target!, plan: plan, state: state, paths: ["rooms/"])
        #expect(saved.planCommand("plan.json") == "roomsync plan rooms/ --target 'sz-*' --exclude sz-lab --city 深圳 --building '腾讯 大厦' --out plan.json")
    }

    @Test func aPlanWithoutASubsetSaysNothingOfOne() throws {
        let plan = try RenderTests.samplePlan()
        #expect(plan.subset == nil)
        #expect(!PlanRenderer.render(plan, format: .json).contains("subset"))
    }

    @Test func aSavedPlanRecordsItsSubset() async throws {
        let sz = Fixture.live(1, name: "sz-a-room")
        let state = Fixture.state([("sz-a", sz), ("bj-a", Fixture.live(2, name: "bj-a-room"))])
        let plan = try Planner.plan(
            desired: [Fixture.desired("sz-a", capacity: 12)], live: [sz], state: state,
            options: Self.options(Subset(targets: ["sz-*"], excludes: ["sz-lab"], city: "深圳")))
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("plan.json").path
            try SavedPlan(target: state.target!, plan: plan, state: state).write(to: path)
            let read = try SavedPlan.read(from: path)
            #expect(read.plan.subset == plan.subset)
            #expect(read.plan.subset?.subset == Subset(targets: ["sz-*"], excludes: ["sz-lab"], city: "深圳"))
            #expect(read.plan.changes.map(\.key) == ["sz-a"])
        }
    }

    static func subsetPlan() throws -> Plan {
        let a = Fixture.live(1, name: "sz-a-room")
        let gone = Fixture.live(2, name: "sz-gone-room")
        let bj = Fixture.live(3, name: "bj-a-room", location: beijing)
        return try Planner.plan(
            desired: [Fixture.desired("sz-a", capacity: 12), Fixture.desired("sz-new"), Fixture.desired("bj-a", capacity: 1, location: beijing)],
            live: [a, gone, bj], state: Fixture.state([("sz-a", a), ("sz-gone", gone), ("bj-a", bj)]),
            options: options(Subset(targets: ["sz-*"], city: "深圳")))
    }

    static func subsetDrift() -> DriftReport {
        let a = Fixture.live(1, name: "sz-a-room")
        var edited = a
        edited.capacity = 4
        let bj = Fixture.live(2, name: "bj-a-room", location: beijing)
        var bjEdited = bj
        bjEdited.capacity = 40
        return DriftDetector.detect(
            state: Fixture.state([("sz-a", a), ("bj-a", bj)]),
            live: [edited, bjEdited, Fixture.live(3, name: "stray", location: beijing), Fixture.live(4, name: "sz stray")],
            subset: Subset(city: "深圳"))
    }

    @Test(arguments: OutputFormat.allCases)
    func subsetPlanGolden(format: OutputFormat) throws {
        let output = PlanRenderer.render(try Self.subsetPlan(), format: format)
        let mismatch = goldenMismatch(output, named: "plan-subset.\(format.rawValue)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test(arguments: OutputFormat.allCases)
    func subsetDriftGolden(format: OutputFormat) {
        let output = DriftRenderer.render(Self.subsetDrift(), format: format)
        let mismatch = goldenMismatch(output, named: "drift-subset.\(format.rawValue)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func driftOfASubsetReportsOnlyItsRoomsAndItsLocationsUnmanagedOnes() {
        let report = Self.subsetDrift()
        #expect(report.items.map { $0.key ?? "#\($0.meetingroomID)" } == ["sz-a", "#4"])
        #expect(report.managedRooms == 1)
        #expect(DriftRenderer.summaryLine(report) == "Drift: 1 changed, 0 deleted, 1 unmanaged. (subset: 1 of 2 managed rooms)")
        let keysOnly = DriftDetector.detect(
            state: Fixture.state([("sz-a", Fixture.live(1, name: "x"))]), live: [Fixture.live(1, name: "x"), Fixture.live(9, name: "stray")],
            subset: Subset(targets: ["sz-*"]))
        #expect(keysOnly.items.isEmpty)
    }
}
