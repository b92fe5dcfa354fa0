import RoomSyncCore
import RoomSyncEngine
import RoomSyncSandbox
import WeComAPI

/// What `doctor` is given, once its arguments are parsed.
public struct DoctorInput: Sendable {
    /// The target as the options and the environment name it, resolved without connecting anywhere.
    public enum Target: Sendable {
        /// The options were missing or contradictory: this error is the target check's failure.
        case unresolved(any Error)
        /// The embedded sandbox kept in `dataFile`; `credentialsMissing` when it was not asked for.
        case embedded(dataFile: String, credentialsMissing: Bool)
        case wecom(WeComClient.Configuration, StateTarget)
    }

    public var manifestPaths: [String]
    public var target: Target
    public var state: StateLocation
    /// `--timeout`: a state database gets this long (at most 10 s) to answer.
    public var timeoutSeconds: Double

    public init(manifestPaths: [String], target: Target, state: StateLocation, timeoutSeconds: Double) {
        self.manifestPaths = manifestPaths
        self.target = target
        self.state = state
        self.timeoutSeconds = timeoutSeconds
    }
}

/// `roomsync doctor` (SPEC section 9): every check a first real run needs, one line each with the fix. Changes
/// nothing: no state is written, no lock taken, only `gettoken`, `list` and `get_booking_info` are called.
public enum DoctorUseCase {
    public static func run(_ input: DoctorInput) async -> DoctorReport {
        var report = DoctorReport()
        checkManifests(input.manifestPaths, &report)
        let stateTarget = await checkTarget(input.target, &report)
        await checkState(input.state, timeoutSeconds: input.timeoutSeconds, target: stateTarget, &report)
        return report
    }

    static func checkManifests(_ paths: [String], _ report: inout DoctorReport) {
        let result = ManifestReader.read(paths: paths)
        let errors = result.diagnostics.filter { $0.severity == .error }
        if let first = errors.first {
            report.fail("manifests: \(errors.count) error(s), first: \(first.description) — fix them (`roomsync validate \(paths.joined(separator: " "))` lists all)")
        } else {
            report.ok("manifests: \(result.rooms.count) room(s) in \(result.files.count) file(s) are valid")
        }
    }

    /// The target, the proxy, gettoken, the API permission and trusted IP, list. Returns the state target
    /// when one could be resolved.
    static func checkTarget(_ target: DoctorInput.Target, _ report: inout DoctorReport) async -> StateTarget? {
        switch target {
        case .unresolved(let error as RoomSyncError):
            report.fail("target: \(error.message)")
            return nil
        case .unresolved(let error):
            report.fail("target: \(error)")
            return nil
        case .embedded(let dataFile, let credentialsMissing):
            let stateTarget = StateTarget(endpoint: "sandbox:\(dataFile)", corpID: nil)
            if credentialsMissing {
                report.fail("target: no WeCom credentials; set WECOM_CORP_ID and WECOM_CORP_SECRET (or --corp-secret-file PATH), and WECOM_ENDPOINT if not \(TargetDefaults.endpoint) (or pass --sandbox to check the embedded sandbox)")
                return stateTarget
            }
            report.ok("target: the embedded sandbox (\(dataFile)); gettoken, permissions and trusted IPs do not apply")
            do {
                let rooms = try await TargetDefaults.embeddedSandbox(dataFile: dataFile).listMeetingRooms(ListMeetingRoomsRequest())
                report.ok("list: answers, \(rooms.count) live room(s)")
            } catch {
                report.fail("list: \(error)")
            }
            return stateTarget
        case .wecom(var configuration, let stateTarget):
            report.ok("target: \(configuration.endpoint), corp \(configuration.corpID)")
            if let proxy = configuration.proxy {
                checkProxy(proxy, &report)
            }
            // Doctor reports; it does not retry for a minute what a first run should hear about at once.
            configuration.retry = WeComClient.RetryPolicy(
                maxAttempts: 3, baseDelay: configuration.retry.baseDelay, maxDelay: configuration.retry.maxDelay,
                maxRateLimitWait: .seconds(5))
            var checked = report
            // Only the shutdown can fail here, after the checks; it is not worth a line.
            try? await WeComClient.withClient(configuration) { await checkWeCom($0, &checked) }
            report = checked
            return stateTarget
        }
    }

    static func checkWeCom(_ client: WeComClient, _ report: inout DoctorReport) async {
        do {
            try await client.checkCredentials()
            report.ok("gettoken: the corp id and secret are accepted")
        } catch {
            report.fail("gettoken: \(message(error))")
            report.warn("meeting-room API, trusted IP and list: not checked without an access token")
            return
        }
        do {
            let rooms = try await client.listMeetingRooms(ListMeetingRoomsRequest())
            report.ok("meeting-room API: this app may call it (no 48002)")
            report.ok("trusted IP: WeCom accepts calls from this address (no 60020)")
            report.ok("list: answers, \(rooms.count) live room(s)")
            await checkBookings(client, &report)
        } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.untrustedIP {
            report.warn("meeting-room API permission (48002): not checked, WeCom refused the address first")
            report.fail("trusted IP: \(error.message)")
            report.fail("list: refused (60020); fix the trusted IP above")
        } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.apiForbidden {
            report.fail("meeting-room API: \(error.message)")
            report.ok("trusted IP: WeCom accepts calls from this address (no 60020)")
            report.fail("list: refused (48002); fix the permission above")
        } catch {
            report.fail("list: \(message(error))")
        }
    }

    /// `get_booking_info`, which plan reads before deleting rooms (SPEC section 10). Only a warning when refused:
    /// roomsync still works, but every delete then counts as booked.
    static func checkBookings(_ client: WeComClient, _ report: inout DoctorReport) async {
        do {
            let rooms = try await client.bookingInfo(BookingInfoRequest())
            let count = rooms.reduce(0) { $0 + $1.schedule.filter(\.holdsTheRoom).count }
            report.ok("get_booking_info: this app may read bookings (\(count) booking(s) for the rest of today)")
        } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.apiForbidden {
            report.warn(
                "get_booking_info: refused (48002), so plan cannot see what a delete would cancel and apply refuses "
                    + "every delete unless --allow-booked-delete; in the WeCom admin console add this app under "
                    + "会议室 → 可调用接口的应用 with the booking API (应用管理 → 会议室 → API)")
        } catch {
            report.warn("get_booking_info: \(message(error)); plan cannot see what a delete would cancel")
        }
    }

    /// A TCP connection to the proxy, so a wrong proxy address is named as such.
    static func checkProxy(_ proxy: ProxySettings, _ report: inout DoctorReport) {
        if let failure = TCPProbe.probe(host: proxy.host, port: proxy.port, timeoutMs: 5000) {
            report.fail("proxy \(proxy) (from \(proxy.source)): cannot connect (\(failure)); check the proxy's address and port")
        } else {
            report.ok("proxy \(proxy) (from \(proxy.source)): accepts connections")
        }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? MeetingRoomAPIError {
            return error.errcode.map { "WeCom error \($0): \(error.message)" } ?? error.message
        }
        return "\(error)"
    }
}
