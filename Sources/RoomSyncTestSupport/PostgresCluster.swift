#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whether this machine can run the throwaway PostgreSQL servers the postgres tests need.
public enum PostgresServer {
    /// The folder holding `initdb`, `pg_ctl` and `psql`: the newest `/usr/lib/postgresql/*/bin` (Debian's layout),
    /// or the one named by `ROOMSYNC_POSTGRES_BIN`.
    public static let binDirectory: URL? = {
        let manager = FileManager.default
        if let named = ProcessInfo.processInfo.environment["ROOMSYNC_POSTGRES_BIN"], !named.isEmpty {
            return manager.isExecutableFile(atPath: named + "/initdb") ? URL(fileURLWithPath: named) : nil
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? manager.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }
            .sorted(by: >)
        for version in versions where manager.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return URL(fileURLWithPath: "\(root)/\(version)/bin")
        }
        return nil
    }()

    public static var isInstalled: Bool { binDirectory != nil }

    /// `ROOMSYNC_REQUIRE_POSTGRES=1` (set by `.ci/run`): a missing server fails the postgres tests instead of
    /// skipping them.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["ROOMSYNC_REQUIRE_POSTGRES"] == "1" }

    /// For `.enabled(if: PostgresServer.shouldRun, …)`: run when installed, and when required (to fail loudly).
    public static var shouldRun: Bool { isInstalled || isRequired }

    public static let missingReason =
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install postgresql, or set "
        + "ROOMSYNC_POSTGRES_BIN, to run these tests"
}

/// A PostgreSQL server of its own for one test: `initdb` into a fresh folder, serving on a free loopback port
/// with trust authentication for the user `roomsync_test`, a database `roomsync` created.
public final class PostgresCluster: @unchecked Sendable {
    public let directory: URL
    public let port: Int
    public let user = "roomsync_test"
    let bin: URL
    let runAsPostgres: Bool

    var dataDirectory: URL { directory.appendingPathComponent("data") }

    init(directory: URL, port: Int, bin: URL, runAsPostgres: Bool) {
        self.directory = directory
        self.port = port
        self.bin = bin
        self.runAsPostgres = runAsPostgres
    }

    /// `postgres://roomsync_test@127.0.0.1:PORT/DATABASE?sslmode=disable`.
    public func url(database: String = "roomsync") -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Stops the server at once, as a crash or a power cut would (`pg_ctl stop -m immediate`).
    public func stop() async throws {
        try await run(server: "pg_ctl", ["-D", dataDirectory.path, "-m", "immediate", "-w", "stop"])
    }

    /// Starts the server again on the same port.
    public func start() async throws {
        let log = directory.appendingPathComponent("server.log").path
        do {
            try await run(
                server: "pg_ctl",
                [
                    "-D", dataDirectory.path, "-l", log, "-w", "-t", "60",
                    "-o", "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
                ])
        } catch {
            // pg_ctl only says "stopped waiting"; why the server stopped is in its log.
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5)
            throw PostgresClusterError("\(error) — server.log: \(tail.joined(separator: " | "))")
        }
    }

    /// Runs SQL through `psql` and returns what it printed (unaligned, tuples only).
    @discardableResult
    public func psql(_ sql: String, database: String = "roomsync") async throws -> String {
        try await Self.execute(
            bin.appendingPathComponent("psql"), psqlArguments(sql, database: database), asPostgres: false)
    }

    /// Starts `psql` running the script `script` in the background, for a client a test kills. A script can keep
    /// the session idle, as roomsync keeps its lock's, with `\watch`.
    public func startPsql(script: String, database: String = "roomsync") throws -> SpawnedProcess {
        let file = directory.appendingPathComponent("script-\(UUID().uuidString).sql").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("psql-\(UUID().uuidString)").path
        var arguments = psqlArguments("", database: database)
        arguments.removeLast(2)
        let pid = try Self.spawn(
            [bin.appendingPathComponent("psql").path] + arguments + ["-f", file], output: output)
        return SpawnedProcess(pid: pid, output: output)
    }

    func psqlArguments(_ sql: String, database: String) -> [String] {
        ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database,
         "-c", sql]
    }

    func run(server tool: String, _ arguments: [String]) async throws {
        try await Self.execute(bin.appendingPathComponent(tool), arguments, asPostgres: runAsPostgres)
    }

    /// Runs a program to its end; its output goes to a file, since `pg_ctl`'s server would keep a pipe open.
    /// Spawned and reaped directly: Foundation's `Process` left these children unreaped under the test runner.
    @discardableResult
    static func execute(_ program: URL, _ arguments: [String], asPostgres: Bool) async throws -> String {
        var argv = [program.path] + arguments
        if asPostgres {
            let runuser = FileManager.default.isExecutableFile(atPath: "/sbin/runuser") ? "/sbin/runuser" : "/usr/sbin/runuser"
            argv = [runuser, "-u", "postgres", "--"] + argv
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-out-\(UUID().uuidString)").path
        defer { unlink(output) }
        let pid = try spawn(argv, output: output)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw PostgresClusterError("waitpid failed for \(argv[0])") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let text = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // Exited normally with status 0: WIFEXITED and WEXITSTATUS, spelled out since Swift does not import them.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw PostgresClusterError("\(program.lastPathComponent) \(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    /// Starts `argv` with stdin from /dev/null and stdout and stderr to `output`, in `/`.
    static func spawn(_ argv: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The child must not inherit the test process's descriptors: with hundreds open (sockets of the tests
        // running beside it), a PostgreSQL server counts too few left for itself and refuses to start
        // ("insufficient file descriptors available"). Swift cannot see glibc's addclosefrom_np, so each one open
        // now is closed in the child (the few another thread opens meanwhile still leak through).
        for descriptor in inheritedDescriptors() {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard result == 0 else {
            throw PostgresClusterError("cannot start \(argv[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// The descriptors above stderr that this process has open, from `/proc/self/fd`.
    static func inheritedDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }.filter { $0 > 2 }
    }

    /// A loopback port nothing listens on right now.
    static func freePort() throws -> Int {
        let (fd, port) = try boundLoopbackSocket()
        close(fd)
        return port
    }
}

/// A TCP socket bound to a loopback port the system picks, not listening, and that port. The caller closes it.
func boundLoopbackSocket() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PostgresClusterError("socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else {
        close(fd)
        throw PostgresClusterError("bind() failed")
    }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else {
        close(fd)
        throw PostgresClusterError("getsockname() failed")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A child a test started and may kill.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    let output: String
    private var reaped = false

    init(pid: pid_t, output: String) {
        self.pid = pid
        self.output = output
    }

    /// Kills it with SIGKILL, as the OOM killer or a lost runner would, and reaps it.
    public func killAndReap() async throws {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        reaped = true
        unlink(output)
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            unlink(output)
        }
    }
}

public struct PostgresClusterError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh PostgreSQL server and removes it on every path (return, throw, cancellation).
/// Throws when PostgreSQL is not installed; guard the test with `.enabled(if: PostgresServer.shouldRun, …)`.
public func withPostgresCluster<T>(_ body: (PostgresCluster) async throws -> T) async throws -> T {
    guard let bin = PostgresServer.binDirectory else {
        throw PostgresClusterError(
            PostgresServer.missingReason + (PostgresServer.isRequired ? " (ROOMSYNC_REQUIRE_POSTGRES=1)" : ""))
    }
    let manager = FileManager.default
    let directory = URL(fileURLWithPath: "/tmp/roomsync-pg-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? manager.removeItem(at: directory) }
    // The server refuses to run as root: as root, the folder goes to the `postgres` user and the server runs as it.
    let asPostgres = getuid() == 0
    if asPostgres {
        try await PostgresCluster.execute(
            URL(fileURLWithPath: "/bin/chown"), ["postgres", directory.path], asPostgres: false)
    }
    try await PostgresCluster.execute(
        bin.appendingPathComponent("initdb"),
        ["-D", directory.appendingPathComponent("data").path, "-U", "roomsync_test", "--auth=trust", "--no-sync",
         "-E", "UTF8", "--locale=C"],
        asPostgres: asPostgres)

    // Another process may take the free port between the probe and the server's bind; then try another one.
    var cluster: PostgresCluster?
    var lastError: (any Error)?
    for _ in 0..<5 {
        let candidate = PostgresCluster(directory: directory, port: try PostgresCluster.freePort(), bin: bin, runAsPostgres: asPostgres)
        do {
            try await candidate.start()
            cluster = candidate
            break
        } catch {
            lastError = error
        }
    }
    guard let cluster else { throw lastError ?? PostgresClusterError("the server did not start") }
    let result: Result<T, any Error>
    do {
        try await cluster.psql("CREATE DATABASE roomsync", database: "postgres")
        result = .success(try await body(cluster))
    } catch {
        result = .failure(error)
    }
    _ = try? await cluster.stop()
    return try result.get()
}

/// Polls `condition` until it holds, failing after `timeout`: for tests that wait on another process.
public func waitForCondition(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try await !condition() {
        guard clock.now < deadline else { throw PostgresClusterError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A loopback port nothing listens on right now. Only right now: another test may take it the next moment. For a
/// port that must refuse connections while a test runs, use `withRefusingLoopbackPort`.
public func freeLoopbackPort() throws -> Int { try PostgresCluster.freePort() }

/// Runs `body` with a loopback port that refuses every connection until it returns: a socket is bound to it and
/// never listens, so a connection gets "Connection refused", and no server of a test running beside it can bind
/// the port meanwhile (as it could a port `freeLoopbackPort` named and let go).
public func withRefusingLoopbackPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let (fd, port) = try boundLoopbackSocket()
    defer { close(fd) }
    return try await body(port)
}
