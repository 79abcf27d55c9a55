import GRPCNIOTransportHTTP2
import NIOCore
import NIOHTTP2

extension ConnectionGovernor {
    /// The gRPC server's transport configuration with this governor in charge of its connections:
    /// each accepted connection is admitted under the cap, each RPC stream keeps its connection
    /// busy, a stream must send its whole request within `requestTimeout`, and the listener
    /// pauses accepting when the process runs out of descriptors.
    public func agentTransportConfig(
        _ config: HTTP2ServerTransport.Posix.Config = .defaults, requestTimeout: TimeAmount, maxConcurrentStreams: Int = 64
    ) -> HTTP2ServerTransport.Posix.Config {
        var config = config
        config.http2.maxConcurrentStreams = maxConcurrentStreams
        // A peer that vanished (a killed agent, a cut link) is noticed within 40 s: its streams end.
        config.connection.keepalive = .init(time: .seconds(30), timeout: .seconds(10), clientBehavior: config.connection.keepalive.clientBehavior)
        let logger = logger
        config.channelDebuggingCallbacks.onBindTCPListener = { listener in
            listener.eventLoop.makeCompletedFuture {
                try listener.pipeline.syncOperations.addHandler(AcceptPause(logger: logger), position: .first)
                // Room for a burst of connections while they are admitted or evicted.
                try listener.syncOptions?.setOption(.backlog, value: 1024)
            }
        }
        config.channelDebuggingCallbacks.onAcceptTCPConnection = { connection in
            connection.eventLoop.makeCompletedFuture {
                try connection.pipeline.syncOperations.addHandler(AgentConnectionGuard(governor: self), position: .first)
            }
        }
        config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
            stream.eventLoop.makeCompletedFuture {
                guard let connection = stream.parent else { return }
                self.requestStarted(on: connection)
                stream.closeFuture.whenComplete { _ in self.requestEnded(on: connection) }
                try stream.pipeline.syncOperations.addHandler(RequestDeadline(timeout: requestTimeout), position: .first)
            }
        }
        return config
    }
}

/// First in an agent connection's pipeline (before TLS): takes the connection in under the cap
/// or closes it at once, and tells the governor when it closes.
final class AgentConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let governor: ConnectionGovernor
    var admitted = false

    init(governor: ConnectionGovernor) {
        self.governor = governor
    }

    func channelActive(context: ChannelHandlerContext) {
        guard governor.admit(context.channel, kind: .agent) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted { governor.closed(context.channel) }
        context.fireChannelInactive()
    }
}

/// First in an RPC stream's pipeline: closes the stream when the caller has not sent its whole
/// request (headers and message, ending the stream) within the timeout. Every RPC of the agents'
/// contract sends one request message, so a legitimate caller does that at once.
final class RequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload

    let timeout: TimeAmount
    var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let stream = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { stream.close(mode: .all, promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers) where headers.endStream: cancel()
        case .data(let data) where data.endStream: cancel()
        default: break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancel() }

    func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
