import Foundation
import RoomSyncCore

/// The sandbox's one source of truth: rooms, buildings, ids, tokens and call counters, with every rule of SPEC
/// section 6. Both the embedded sandbox and the HTTP server call into it, so they cannot disagree.
///
/// Errors are `SandboxError`s carrying WeCom's errcode and an errmsg naming the invalid parameter.
public actor SandboxStore {
    /// A WeCom-style failure: what the server answers as `{"errcode":…,"errmsg":…}`.
    public struct SandboxError: Error, Sendable, Hashable {
        public let errcode: Int
        public let errmsg: String

        public init(errcode: Int, errmsg: String) {
            self.errcode = errcode
            self.errmsg = errmsg
        }

        static func invalid(_ parameter: String, _ why: String) -> SandboxError {
            SandboxError(errcode: WeComErrcode.invalidParameter, errmsg: "invalid parameter \(parameter): \(why)")
        }
    }

    /// What a token check found.
    public enum TokenStatus: Sendable, Equatable {
        case valid, invalid, expired
    }

    struct Building: Codable, Hashable, Sendable {
        var city: String
        var building: String
        var coordinate: Coordinate?
    }

    /// The persisted form. Versioned so a later format can read old files.
    struct Snapshot: Codable, Sendable {
        var version: Int
        var nextID: Int
        var rooms: [StoredRoom]
        var buildings: [Building]
        /// Absent in files written before the booking API (and while there are none), so those read as before.
        var bookings: [StoredBooking]?
        var nextBookingID: Int?

        enum CodingKeys: String, CodingKey {
            case version
            case nextID = "next_id"
            case rooms, buildings, bookings
            case nextBookingID = "next_booking_id"
        }
    }

    struct StoredRoom: Codable, Hashable, Sendable {
        var id: Int
        var name: String
        var capacity: Int
        var location: RoomLocation?
        var equipment: [Int]
        var range: RoomRange?
        /// WeCom's `need_approval`: set in the admin console, never by add or edit. `nil` (the usual case in a
        /// data file) reads as 0.
        var needApproval: Int?

        enum CodingKeys: String, CodingKey {
            case id, name, capacity, location, equipment, range
            case needApproval = "need_approval"
        }
    }

    /// Maximum name length in Unicode scalars, as the seed document says ("最多30个字符").
    public static let maxNameLength = 30
    /// Maximum entries in each of `range.user_list` and `range.department_list`.
    public static let maxRangeEntries = 1000

    private let dataFile: String?
    var rooms: [Int: StoredRoom] = [:]
    /// Every booking ever made, cancelled ones included (status 1), by booking id.
    var bookings: [String: StoredBooking] = [:]
    var nextBookingID = 1
    private var buildings: [Building] = []
    private var nextID = 1
    private var tokens: [String: Date] = [:]
    /// The token `gettoken` hands out while it is valid, as WeCom does.
    private var currentToken: String?
    private var callCounts: [String: Int] = [:]
    /// How many access tokens `gettoken` has issued since this store was created.
    public private(set) var tokensIssued = 0

    /// Loads `dataFile` if it exists; `nil` or `:memory:` keeps everything in memory only. A file that cannot be
    /// read, or is not a sandbox's, is a `RoomSyncError` naming it (`cannotReadSandboxData`, `sandboxDataNotJSON`,
    /// `sandboxDataVersion`).
    public init(dataFile: String?) throws {
        let path = (dataFile == ":memory:") ? nil : dataFile
        self.dataFile = path
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        let data: Data
        do {
            // Read as the state is, so a folder is the system's `Is a directory`, not Foundation's error 256.
            guard let read = try AtomicFile.read(path) else { return }
            data = read
        } catch {
            throw error.error(about: .sandboxData)
        }
        let snapshot: Snapshot
        do {
            snapshot = try JSONDecoder().decode(Snapshot.self, from: data)
        } catch {
            throw RoomSyncError(.sandboxDataNotJSON, ["path": path])
        }
        guard snapshot.version == 1 else {
            throw RoomSyncError(.sandboxDataVersion, ["path": path, "version": snapshot.version])
        }
        for room in snapshot.rooms { rooms[room.id] = room }
        buildings = snapshot.buildings
        // Never hand out an id that a stored room already has, even if the file was edited by hand.
        nextID = max(snapshot.nextID, (rooms.keys.max() ?? 0) + 1)
        for booking in snapshot.bookings ?? [] { bookings[booking.id] = booking }
        nextBookingID = max(snapshot.nextBookingID ?? 1, (bookings.values.map(\.number).max() ?? 0) + 1)
    }

    // MARK: Counters

    /// Counts one call of `api` (`gettoken`, `add`, `list`, `edit`, `del`), whether or not it succeeds.
    public func recordCall(_ api: String) {
        callCounts[api, default: 0] += 1
    }

    /// What the server was asked and refused, for the line `sandbox serve` ends with (benchmarks read it).
    public var servedSummary: String {
        let calls = callCounts.values.reduce(0, +)
        return "sandbox served \(calls) call(s): \(rateLimitedAnswers) answered 45009 (rate limit), "
            + "\(tooManyInFlightAnswers) answered 45033 (too many in flight)"
    }

    /// How many calls of `api` were recorded.
    public func callCount(_ api: String) -> Int {
        callCounts[api, default: 0]
    }

    /// How many calls were answered 45009 (over the rate limit): tests check clients back off instead of
    /// hammering.
    public private(set) var rateLimitedAnswers = 0

    public func recordRateLimited() {
        rateLimitedAnswers += 1
    }

    /// How many calls were answered 45033 (over `--max-concurrent`): tests check clients lower their concurrency
    /// instead of retrying into the limit.
    public private(set) var tooManyInFlightAnswers = 0

    public func recordTooManyInFlight() {
        tooManyInFlightAnswers += 1
    }

    // MARK: Tokens

    /// Issues a new access token valid for `ttl` seconds.
    public func issueToken(ttl: Int, now: Date = Date()) -> String {
        tokensIssued += 1
        let token = "sandbox-token-\(tokensIssued)-\(UUID().uuidString.prefix(8))"
        tokens[token] = now.addingTimeInterval(TimeInterval(ttl))
        currentToken = token
        return token
    }

    /// What `gettoken` answers: the current token and the seconds it has left while it is valid, a new one (valid
    /// for `ttl`) once it has expired. WeCom too returns the same token for the whole validity period.
    public func token(ttl: Int, now: Date = Date()) -> (token: String, expiresIn: Int) {
        if let currentToken, let expiry = tokens[currentToken], expiry > now {
            // Rounded down: a client must never believe a token lives longer than it does.
            return (currentToken, Int(expiry.timeIntervalSince(now).rounded(.down)))
        }
        return (issueToken(ttl: ttl, now: now), ttl)
    }

    public func tokenStatus(_ token: String, now: Date = Date()) -> TokenStatus {
        guard let expiry = tokens[token] else { return .invalid }
        return expiry > now ? .valid : .expired
    }

    /// Every token issued so far, for tests that check no token leaks into output.
    public func issuedTokens() -> [String] {
        Array(tokens.keys)
    }

    /// Expires every token issued so far, as if their TTL had passed; for tests of token refresh.
    public func expireAllTokens() {
        let past = Date(timeIntervalSince1970: 0)
        for token in tokens.keys { tokens[token] = past }
    }

    // MARK: Meeting rooms

    public func add(_ request: AddMeetingRoomRequest) throws -> Int {
        try Self.validateName(request.name)
        try Self.validateCapacity(request.capacity)
        let location = try Self.location(city: request.city, building: request.building, floor: request.floor)
        let equipment = try Self.validateEquipment(request.equipment ?? [])
        if let range = request.range { try Self.validateRange(range) }
        if request.coordinate != nil, location == nil {
            throw SandboxError.invalid("coordinate", "needs city, building and floor")
        }
        return try committing {
            let id = nextID
            nextID += 1
            if let location { registerBuilding(location, coordinate: request.coordinate) }
            rooms[id] = StoredRoom(
                id: id, name: request.name, capacity: request.capacity, location: location, equipment: equipment,
                range: request.range
            )
            return id
        }
    }

    public func edit(_ request: EditMeetingRoomRequest) throws {
        guard var room = rooms[request.meetingroomID] else {
            throw SandboxError.invalid("meetingroom_id", "no meeting room \(request.meetingroomID)")
        }
        if let name = request.name {
            try Self.validateName(name)
            room.name = name
        }
        if let capacity = request.capacity {
            try Self.validateCapacity(capacity)
            room.capacity = capacity
        }
        if request.city != nil || request.building != nil || request.floor != nil {
            room.location = try Self.location(city: request.city, building: request.building, floor: request.floor)
        }
        if let equipment = request.equipment {
            room.equipment = try Self.validateEquipment(equipment)
        }
        if let range = request.range {
            try Self.validateRange(range)
            // WeCom replaces the whole range; it never merges.
            room.range = range
        }
        if request.coordinate != nil, room.location == nil {
            throw SandboxError.invalid("coordinate", "needs city, building and floor")
        }
        try committing {
            if let location = room.location { registerBuilding(location, coordinate: request.coordinate) }
            rooms[room.id] = room
        }
    }

    public func delete(_ request: DeleteMeetingRoomRequest) throws {
        guard rooms[request.meetingroomID] != nil else {
            throw SandboxError.invalid("meetingroom_id", "no meeting room \(request.meetingroomID)")
        }
        try committing {
            rooms[request.meetingroomID] = nil
            // As WeCom: the room's bookings go with it, kept as cancelled.
            for (id, booking) in bookings where booking.meetingroomID == request.meetingroomID && booking.holdsTheRoom {
                bookings[id]?.status = BookingStatus.cancelled
            }
        }
    }

    /// Sets a room's `need_approval`, as the admin console does: the API never changes it (add and edit leave it
    /// alone), so this is how a test changes it behind roomsync's back.
    public func setNeedApproval(_ value: Int, meetingroomID: Int) throws {
        guard var room = rooms[meetingroomID] else {
            throw SandboxError.invalid("meetingroom_id", "no meeting room \(meetingroomID)")
        }
        room.needApproval = value
        try committing { rooms[meetingroomID] = room }
    }

    /// The rooms matching the filters, by id. `range` is included only when `showRange` is true, as WeCom returns
    /// it only to its meeting-room system app.
    public func list(_ request: ListMeetingRoomsRequest, showRange: Bool) throws -> [MeetingRoom] {
        try Self.validateLocationFilter(city: request.city, building: request.building, floor: request.floor)
        let wanted = Set(try Self.validateEquipment(request.equipment ?? []))
        // Filter before sorting, and look buildings up in a dictionary: a filtered list of a big store sorts only
        // what it returns, and every room needs its building's coordinates.
        let coordinates = Dictionary(
            buildings.map { (BuildingKey(city: $0.city, building: $0.building), $0.coordinate) },
            uniquingKeysWith: { first, _ in first })
        return rooms.values.filter { room in
            if let city = request.city, room.location?.city != city { return false }
            if let building = request.building, room.location?.building != building { return false }
            if let floor = request.floor, room.location?.floor != floor { return false }
            return wanted.isEmpty || wanted.isSubset(of: room.equipment)
        }.sorted { $0.id < $1.id }.map { room in
            MeetingRoom(
                meetingroomID: room.id, name: room.name, capacity: room.capacity, city: room.location?.city,
                building: room.location?.building, floor: room.location?.floor, equipment: room.equipment,
                coordinate: room.location.flatMap { coordinates[BuildingKey(city: $0.city, building: $0.building)] ?? nil },
                needApproval: room.needApproval ?? 0, range: showRange ? room.range : nil
            )
        }
    }

    // MARK: Rules

    private struct BuildingKey: Hashable {
        var city: String
        var building: String
    }

    /// Buildings keep the first coordinates they were given: WeCom does not change an existing building's.
    private func registerBuilding(_ location: RoomLocation, coordinate: Coordinate?) {
        if let index = buildings.firstIndex(where: { $0.city == location.city && $0.building == location.building }) {
            if buildings[index].coordinate == nil { buildings[index].coordinate = coordinate }
        } else {
            buildings.append(Building(city: location.city, building: location.building, coordinate: coordinate))
        }
    }

    static func validateName(_ name: String) throws {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw SandboxError.invalid("name", "must not be empty") }
        if name.unicodeScalars.count > maxNameLength {
            throw SandboxError.invalid("name", "longer than \(maxNameLength) characters")
        }
    }

    static func validateCapacity(_ capacity: Int) throws {
        if capacity < 1 { throw SandboxError.invalid("capacity", "must be at least 1") }
    }

    /// The hierarchical location filters of `list` and `get_booking_info`: building needs city, floor needs building.
    static func validateLocationFilter(city: String?, building: String?, floor: String?) throws {
        if building != nil, city == nil {
            throw SandboxError.invalid("building", "filtering by building needs city")
        }
        if floor != nil, building == nil {
            throw SandboxError.invalid("floor", "filtering by floor needs building")
        }
    }

    static func location(city: String?, building: String?, floor: String?) throws -> RoomLocation? {
        switch (city, building, floor) {
        case (nil, nil, nil):
            return nil
        case (let city?, let building?, let floor?) where !city.isEmpty && !building.isEmpty && !floor.isEmpty:
            return RoomLocation(city: city, building: building, floor: floor)
        default:
            throw SandboxError.invalid("city/building/floor", "give all three or none")
        }
    }

    static func validateEquipment(_ equipment: [Int]) throws -> [Int] {
        for id in equipment where !(1...5).contains(id) {
            throw SandboxError.invalid("equipment", "unknown equipment id \(id) (1-5)")
        }
        return Array(Set(equipment)).sorted()
    }

    static func validateRange(_ range: RoomRange) throws {
        if range.userList.count > maxRangeEntries {
            throw SandboxError.invalid("range.user_list", "more than \(maxRangeEntries) members")
        }
        if range.departmentList.count > maxRangeEntries {
            throw SandboxError.invalid("range.department_list", "more than \(maxRangeEntries) departments")
        }
    }

    // MARK: Persistence

    /// Applies `change` and saves it; if saving fails, the change is undone, so a call answered with an error
    /// never took effect (a client may safely send it again).
    func committing<T>(_ change: () -> T) throws -> T {
        let saved = (rooms, buildings, nextID, bookings, nextBookingID)
        let result = change()
        do {
            try persist()
        } catch {
            (rooms, buildings, nextID, bookings, nextBookingID) = saved
            throw error
        }
        return result
    }

    /// Writes the whole store through `AtomicFile`, as the state is written, so a crash leaves either the old or
    /// the new file, never half of one. `nextID` is saved too: ids are never reused across restarts.
    private func persist() throws {
        guard let dataFile else { return }
        let snapshot = Snapshot(
            version: 1, nextID: nextID, rooms: rooms.values.sorted { $0.id < $1.id }, buildings: buildings,
            bookings: bookings.isEmpty ? nil : bookings.values.sorted { $0.number < $1.number },
            nextBookingID: bookings.isEmpty ? nil : nextBookingID
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(try encoder.encode(snapshot), to: dataFile)
        } catch {
            throw SandboxError(errcode: WeComErrcode.busy, errmsg: "system busy: cannot write sandbox data file")
        }
    }
}
