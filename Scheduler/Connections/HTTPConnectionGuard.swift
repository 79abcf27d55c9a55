import NIOCore
import NIOHTTPTypes

/// Put in each HTTP connection's pipeline after the HTTP codec: takes the connection in under the
/// governor's cap (or closes it at once), tells the governor when a request is in flight, and
/// closes a connection whose request body has not arrived in full within `bodyTimeout` of its
/// head. The time to send a request head, the gaps within a body and keep-alive idleness are
/// bounded by Hummingbird's idle timeout.
public final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    let governor: ConnectionGovernor
    let bodyTimeout: TimeAmount
    var admitted = false
    var inFlight = 0
    var bodyDeadline: Scheduled<Void>?

    public init(governor: ConnectionGovernor, bodyTimeout: TimeAmount) {
        self.governor = governor
        self.bodyTimeout = bodyTimeout
    }

    public func channelActive(context: ChannelHandlerContext) {
        guard governor.admit(context.channel, kind: .http) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inFlight += 1
            if inFlight == 1 { governor.requestStarted(on: context.channel) }
            let channel = context.channel
            bodyDeadline?.cancel()
            bodyDeadline = context.eventLoop.scheduleTask(in: bodyTimeout) { channel.close(mode: .all, promise: nil) }
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), inFlight > 0 {
            inFlight -= 1
            if inFlight == 0 { governor.requestEnded(on: context.channel) }
        }
        context.write(data, promise: promise)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        bodyDeadline = nil
        if admitted { governor.closed(context.channel) }
        context.fireChannelInactive()
    }
}
