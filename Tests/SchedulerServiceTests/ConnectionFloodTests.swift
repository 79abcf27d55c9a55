import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SuanliProto
import SuanliTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A flood of idle and slow connections on both ports of the real binary, run with a descriptor
/// limit of 1024 so that the flood (3,000 connections) is three times what the process may open:
/// health checks, authenticated API calls and an agent's RPCs must still be answered, and the
/// flood's connections must be shed (evicted, then timed out), all within bounded time.
///
/// It runs only in a test process of its own (`scripts/test` runs it so, with
/// `SUANLI_TEST_ALONE=1`): while this process holds more than about 1,360 descriptors,
/// Foundation's `Process.run` in a test running beside it can crash the whole process, reading
/// past glibc's buffer for the `/proc/self/fd` listing (swift-corelibs-foundation pull request
/// 5472, not in Swift 6.3.1).
@Suite(
    "Connection flood against the real binary", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["SUANLI_TEST_ALONE"] == "1", "needs a test process of its own: scripts/test runs it alone")
)
struct ConnectionFloodTests {
    /// A TCP connection to loopback, blocking, closed on `close()`.
    static func connect(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        // A connect that the server's backlog cannot take gives up instead of hanging the test.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Whether the server closed `fd` (reads end of file or a reset), without blocking.
    static func closedByPeer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }
            return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    @Test("3,000 idle and slow connections on a process allowed 1,024 descriptors: callers are still served and the flood is shed")
    func flood() async throws {
        // The flood needs descriptors in this process too.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 4_000, "this test needs 4,000 descriptors, the hard limit is \(limit.rlim_max)")

        let server = try SchedulerProcess.start(dataDir: try temporaryDirectory(), descriptorLimit: 1024)
        defer { server.kill() }
        #expect(try await server.call("POST", "/v1/tenants", body: #"{"id":"water"}"#).0 == 201)
        let started = ContinuousClock.now

        // 1,500 idle HTTP connections, 1,000 that send half a request head, 500 idle on the gRPC port.
        var flood: [Int32] = []
        defer { for fd in flood { close(fd) } }
        // Bounded in time too: a server that stops accepting makes each connect wait its timeout.
        for i in 0..<3_000 where ContinuousClock.now - started < .seconds(20) {
            guard let fd = Self.connect(i < 2_500 ? server.port : server.grpcPort) else { continue }
            if (1_500..<2_500).contains(i) { _ = "GET /v1/tenants HTTP/1.1\r\nHost: x\r\n".withCString { send(fd, $0, strlen($0), 0) } }
            flood.append(fd)
        }
        #expect(flood.count == 3_000, "the kernel accepted \(flood.count) connections")

        // While the flood is held: probes, authenticated calls and an agent's RPC are answered.
        for _ in 0..<3 {
            let health = try await server.send("GET", "/healthz", token: nil)
            #expect(health.status == 200)
            let (status, _) = try await server.call("GET", "/v1/tenants")
            #expect(status == 200)
        }
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: server.grpcPort), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { client in
            // An answer within 20 s (the call's deadline), or the test fails.
            var register = Suanli_Agent_V1_RegisterRequest()
            register.node.id = "edge-1"
            register.node.nodeClass = "edge"
            register.node.site = "district-7"
            register.node.capacity.cpuMillis = 4_000
            register.node.capacity.memoryMib = 8_192
            register.agentVersion = "test"
            var options = CallOptions.defaults
            options.timeout = .seconds(20)
            let joined = try await Suanli_Agent_V1_AgentService.Client(wrapping: client).register(
                register, metadata: ["authorization": "Bearer \(SchedulerProcess.bootstrapToken)"], options: options)
            #expect(joined.nodeID == "edge-1")
        }

        // The flood is shed: evicted to make room, and the rest closed once the request-head
        // timeout (10 s) passes.
        #expect(try await eventually(30) { flood.allSatisfy(Self.closedByPeer) }, "flood connections still open")
        let (status, _) = try await server.call("GET", "/v1/nodes/edge-1")
        #expect(status == 200)
        #expect(ContinuousClock.now - started < .seconds(40))
    }
}
