#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncPostgres
import RoomSyncSandbox
import Synchronization
import WeComAPI

extension RoomSyncCommand {
    /// SPEC section 9: every check a first real run needs, one line each with the fix. Changes nothing: no state
    /// is written, no lock taken, only `gettoken` and `list` are called.
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check everything a first real run needs; change nothing.",
            discussion: """
                One line per check: ok, warn or FAIL, what was checked and, for a failure, the fix. Checks the \
                manifests, the target, gettoken (corp id and secret), the meeting-room API permission (48002) and \
                the trusted IP of this address (60020), list, the state (readable, bound to this target, not \
                locked, or who holds it; a file or a postgres:// database alike, a database bounded by --timeout \
                and at most 10 s) and the proxy when one is set. Exit status 0 when nothing failed, 1 otherwise.

                Examples:
                  roomsync doctor
                  roomsync doctor rooms/ --proxy http://proxy.example.com:3128
                """)

        @Argument(help: "Manifest files or directories.")
        var paths: [String] = ["rooms.yaml"]

        @OptionGroup var target: TargetOptions
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var projectOptions: ProjectOptions

        @Flag(help: "Say more about what happens.")
        var verbose = false

        func run() async throws {
            if projectOptions.isActive {
                try projectOptions.refuseConflicts(pathsGiven: paths != ["rooms.yaml"])
                return try await ProjectRunner.run(command: "doctor", options: projectOptions, format: .text)
            }
            var report = DoctorReport()
            checkManifests(&report)
            let stateTarget = await checkTarget(&report)
            await checkState(&report, target: stateTarget)
            let failed = report.lines.filter { $0.hasPrefix("FAIL") }.count
            Console.out(report.lines.joined(separator: "\n") + "\n")
            if failed > 0 {
                Console.err("doctor: \(failed) check(s) failed; fix them and run `roomsync doctor` again")
                throw ExitCode(1)
            }
        }

        private func checkManifests(_ report: inout DoctorReport) {
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
        private func checkTarget(_ report: inout DoctorReport) async -> StateTarget? {
            let resolved: TargetOptions.Resolved
            do {
                resolved = try target.resolve(verbose: verbose)
            } catch let error as EngineError {
                report.fail("target: \(error.message)")
                return nil
            } catch {
                report.fail("target: \(error)")
                return nil
            }
            switch resolved {
            case .embedded(let note):
                let stateTarget = StateTarget(endpoint: "sandbox:\(target.sandboxData)", corpID: nil)
                if note != nil {
                    report.fail("target: no WeCom credentials; set WECOM_CORP_ID and WECOM_CORP_SECRET (or --corp-secret-file PATH), and WECOM_ENDPOINT if not \(TargetOptions.defaultEndpoint) (or pass --sandbox to check the embedded sandbox)")
                    return stateTarget
                }
                report.ok("target: the embedded sandbox (\(target.sandboxData)); gettoken, permissions and trusted IPs do not apply")
                do {
                    let rooms = try await target.withEmbeddedSandbox { api, _ in try await listAllRooms(api) }
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

        private func checkWeCom(_ client: WeComClient, _ report: inout DoctorReport) async {
            do {
                try await client.checkCredentials()
                report.ok("gettoken: the corp id and secret are accepted")
            } catch {
                report.fail("gettoken: \(Self.message(error))")
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
                report.fail("list: \(Self.message(error))")
            }
        }

        /// `get_booking_info`, which plan reads before deleting rooms (SPEC section 10). Only a warning when refused:
        /// roomsync still works, but every delete then counts as booked.
        private func checkBookings(_ client: WeComClient, _ report: inout DoctorReport) async {
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
                report.warn("get_booking_info: \(Self.message(error)); plan cannot see what a delete would cancel")
            }
        }

        /// A TCP connection to the proxy, so a wrong proxy address is named as such.
        private func checkProxy(_ proxy: ProxySettings, _ report: inout DoctorReport) {
            if let failure = Self.tcpConnect(host: proxy.host, port: proxy.port, timeoutMs: 5000) {
                report.fail("proxy \(proxy) (from \(proxy.source)): cannot connect (\(failure)); check the proxy's address and port")
            } else {
                report.ok("proxy \(proxy) (from \(proxy.source)): accepts connections")
            }
        }

        /// What doctor reads of the state: its name, the state, and who holds its lock, each read apart so a bad
        /// state file still has its lock checked.
        struct StateLook: Sendable {
            var name: String
            var state: Result<RoomSyncState, any Error>
            var holder: Result<String?, any Error>
            /// A database's tables: there and writable, or creatable by this user.
            var tables: Result<(ok: Bool, message: String), any Error>?
        }

        /// The state through the `StateStore` seam, whichever backend keeps it: readable, bound to this target, and
        /// not locked (or who holds it). Opened only to look, it creates nothing, takes no lock and writes nothing;
        /// bounded by `--timeout` and at most 10 s, since a database that never answers must not hang doctor.
        private func checkState(_ report: inout DoctorReport, target: StateTarget?) async {
            let options = stateOptions
            let seconds = min(10, self.target.timeout)
            let fix = "check that the database server is running and accepts connections from here, and the host, "
                + "port, database and user in --state (or ROOMSYNC_STATE) and its password (PGPASSWORD or the URL)"
            if options.isPostgres {
                do {
                    _ = try PostgresStateLocation(url: options.state, workspace: options.workspaceName)
                } catch {
                    report.fail("state: \(Self.message(error))")
                    report.warn("state target and lock: not checked without the state")
                    return
                }
            }
            let look: StateLook?
            do {
                look = try await Self.within(.milliseconds(Int64(seconds * 1000))) {
                    try await options.withStore(lookingOnly: true) { store in
                        StateLook(
                            name: store.displayName, state: await Self.result {
                                let state = try await store.load()
                                try state.checkOneKeyPerRoom(in: store.displayName)
                                return state
                            },
                            holder: await Self.result { try await store.lockHolder() },
                            tables: await (store as? PostgresStateStore).asyncMap { database in
                                await Self.result { try await database.checkTables() }
                            })
                    }
                }
            } catch {
                // Only a database fails to open: a file store is opened by reading it.
                report.fail("state: \(Self.message(error)); \(fix)")
                report.warn("state target and lock: not checked without the state")
                return
            }
            guard let look else {
                let what = options.databaseServer.map { "state database \($0)" } ?? "state \(options.displayName)"
                report.fail("state: \(what) did not answer within \(Self.seconds(seconds)) s; \(options.isPostgres ? fix : "check the file system it is on")")
                report.warn("state target and lock: not checked without the state")
                return
            }
            switch look.state {
            case .success(var state):
                if state == RoomSyncState() {
                    report.ok("state: none yet at \(look.name); the first apply (or export) creates it")
                } else {
                    report.ok("state: \(look.name) is readable, \(state.rooms.count) managed room(s)")
                    if let target {
                        do {
                            try StateFile.bind(&state, to: target, path: look.name)
                            report.ok("state target: \(state.target.map(\.description) ?? target.description)")
                        } catch {
                            report.fail("state target: \(Self.message(error))")
                        }
                    }
                }
            case .failure(let error):
                report.fail("state: \(Self.message(error))" + (options.isPostgres ? "; \(fix)" : ""))
            }
            switch look.tables {
            case .success(let check)?:
                if check.ok { report.ok("state tables: \(check.message)") } else { report.fail("state tables: \(check.message)") }
            case .failure(let error)?:
                report.fail("state tables: cannot tell whether user may create or write them: \(Self.message(error))")
            case nil:
                break
            }
            switch look.holder {
            case .success(let holder?):
                report.fail("state lock: \(look.name) is locked by \(holder); wait for that run to finish")
            case .success(nil):
                report.ok("state lock: not locked")
            case .failure(let error):
                report.fail("state lock: cannot tell whether \(look.name) is locked: \(Self.message(error))")
            }
        }

        /// `body`'s result, or `nil` when `limit` passes first. Raced rather than waited for: a database driver's
        /// connect does not always heed cancellation, and doctor reports and exits instead of waiting on it.
        static func within<T: Sendable>(
            _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
        ) async throws -> T? {
            let race = Race<T>()
            return try await withCheckedThrowingContinuation { continuation in
                race.start(continuation)
                let timer = Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    race.finish(.success(nil))
                }
                Task {
                    defer { timer.cancel() }
                    do {
                        race.finish(.success(try await body()))
                    } catch {
                        race.finish(.failure(error))
                    }
                }
            }
        }

        /// What `body` returned or threw, for a check that reports a failure and goes on.
        static func result<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
            do { return .success(try await body()) } catch { return .failure(error) }
        }

        /// `2` for 2 seconds, `0.5` for half of one.
        static func seconds(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
        }

        /// `nil` when a TCP connection to `host:port` opens within the timeout, otherwise why not.
        static func tcpConnect(host: String, port: Int, timeoutMs: Int32) -> String? {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let first = list else { return "cannot resolve \(host): \(String(cString: gai_strerror(status)))" }
            defer { freeaddrinfo(list) }
            var reason = "no address"
            var current: UnsafeMutablePointer<addrinfo>? = first
            while let info = current {
                current = info.pointee.ai_next
                let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return nil }
                guard errno == EINPROGRESS else {
                    reason = String(cString: strerror(errno))
                    continue
                }
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&poller, 1, timeoutMs) == 1 else {
                    reason = "no answer within \(timeoutMs / 1000)s"
                    continue
                }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return nil }
                reason = String(cString: strerror(error))
            }
            return reason
        }

        static func message(_ error: any Error) -> String {
            if let error = error as? MeetingRoomAPIError {
                return error.errcode.map { "WeCom error \($0): \(error.message)" } ?? error.message
            }
            return "\(error)"
        }
    }
}

/// The lines doctor prints, each `ok`, `warn` or `FAIL` padded to one width.
struct DoctorReport {
    var lines: [String] = []

    mutating func ok(_ text: String) { lines.append("ok    \(text)") }
    mutating func warn(_ text: String) { lines.append("warn  \(text)") }
    mutating func fail(_ text: String) { lines.append("FAIL  \(text)") }
}

/// The first of a body and a timer to finish resumes the continuation; the other finds it taken.
final class Race<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T?, any Error>?>(nil)

    func start(_ continuation: CheckedContinuation<T?, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func finish(_ result: Result<T?, any Error>) {
        let first = continuation.withLock { slot -> CheckedContinuation<T?, any Error>? in
            defer { slot = nil }
            return slot
        }
        first?.resume(with: result)
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
