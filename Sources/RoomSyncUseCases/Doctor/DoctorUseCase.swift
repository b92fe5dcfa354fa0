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
            report.fail(Catalogue.text(.doctorManifestsFailed, ["count": errors.count, "first": first.description, "paths": paths.joined(separator: " ")]))
        } else {
            report.ok(Catalogue.text(.doctorManifestsValid, ["rooms": result.rooms.count, "files": result.files.count]))
        }
    }

    /// The target, the proxy, gettoken, the API permission and trusted IP, list. Returns the state target
    /// when one could be resolved.
    static func checkTarget(_ target: DoctorInput.Target, _ report: inout DoctorReport) async -> StateTarget? {
        switch target {
        case .unresolved(let error as RoomSyncError):
            report.fail(Catalogue.text(.doctorTargetError, ["message": error.message]))
            return nil
        case .unresolved(let error):
            report.fail(Catalogue.text(.doctorTargetError, ["message": "\(error)"]))
            return nil
        case .embedded(let dataFile, let credentialsMissing):
            let stateTarget = StateTarget(endpoint: "sandbox:\(dataFile)", corpID: nil)
            if credentialsMissing {
                report.fail(Catalogue.text(.doctorNoCredentials, ["endpoint": TargetDefaults.endpoint]))
                return stateTarget
            }
            report.ok(Catalogue.text(.doctorEmbedded, ["path": dataFile]))
            do {
                let rooms = try await TargetDefaults.embeddedSandbox(dataFile: dataFile).listMeetingRooms(ListMeetingRoomsRequest())
                report.ok(Catalogue.text(.doctorListAnswers, ["count": rooms.count]))
            } catch {
                report.fail(Catalogue.text(.doctorListError, ["message": "\(error)"]))
            }
            return stateTarget
        case .wecom(var configuration, let stateTarget):
            report.ok(Catalogue.text(.doctorTarget, ["endpoint": configuration.endpoint, "corp": configuration.corpID]))
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
            report.ok(Catalogue.text(.doctorTokenOK))
        } catch {
            report.fail(Catalogue.text(.doctorTokenFailed, ["message": message(error)]))
            report.warn(Catalogue.text(.doctorNoToken))
            return
        }
        do {
            let rooms = try await client.listMeetingRooms(ListMeetingRoomsRequest())
            report.ok(Catalogue.text(.doctorAPIOK))
            report.ok(Catalogue.text(.doctorIPOK))
            report.ok(Catalogue.text(.doctorListAnswers, ["count": rooms.count]))
            await checkBookings(client, &report)
        } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.untrustedIP {
            report.warn(Catalogue.text(.doctorAPINotChecked))
            report.fail(Catalogue.text(.doctorIPFailed, ["message": error.message]))
            report.fail(Catalogue.text(.doctorListRefusedIP))
        } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.apiForbidden {
            report.fail(Catalogue.text(.doctorAPIFailed, ["message": error.message]))
            report.ok(Catalogue.text(.doctorIPOK))
            report.fail(Catalogue.text(.doctorListRefusedAPI))
        } catch {
            report.fail(Catalogue.text(.doctorListError, ["message": message(error)]))
        }
    }

    /// `get_booking_info`, which plan reads before deleting rooms (SPEC section 10). Only a warning when refused:
    /// roomsync still works, but every delete then counts as booked.
    static func checkBookings(_ client: WeComClient, _ report: inout DoctorReport) async {
        do {
            let rooms = try await client.bookingInfo(BookingInfoRequest())
            let count = rooms.reduce(0) { $0 + $1.schedule.filter(\.holdsTheRoom).count }
            report.ok(Catalogue.text(.doctorBookingsOK, ["count": count]))
        } catch let error as MeetingRoomAPIError where error.errcode == WeComErrcode.apiForbidden {
            report.warn(Catalogue.text(.doctorBookingsRefused))
        } catch {
            report.warn(Catalogue.text(.doctorBookingsFailed, ["message": message(error)]))
        }
    }

    /// A TCP connection to the proxy, so a wrong proxy address is named as such.
    static func checkProxy(_ proxy: ProxySettings, _ report: inout DoctorReport) {
        if let failure = TCPProbe.probe(host: proxy.host, port: proxy.port, timeoutMs: 5000) {
            report.fail(Catalogue.text(.doctorProxyFailed, ["proxy": "\(proxy)", "source": "\(proxy.source)", "failure": failure]))
        } else {
            report.ok(Catalogue.text(.doctorProxyOK, ["proxy": "\(proxy)", "source": "\(proxy.source)"]))
        }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? MeetingRoomAPIError {
            return error.errcode.map { Catalogue.text(.doctorWeComError, ["code": $0, "message": error.message]) } ?? error.message
        }
        return "\(error)"
    }
}
