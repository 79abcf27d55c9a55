import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// First in a listener's pipeline: when accepting fails because the process or the system has no
/// descriptors left, stops accepting for a moment instead of retrying at once (NIO's listener
/// would otherwise wake on the same pending connection in a tight loop and spin a core).
public final class AcceptPause: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = any Channel

    let logger: Logger
    let pause: TimeAmount
    var paused = false

    public init(logger: Logger, pause: TimeAmount = .milliseconds(100)) {
        self.logger = logger
        self.pause = pause
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode), !paused {
            paused = true
            logger.warning("out of descriptors: accepting paused", metadata: ["error": "\(error)", "pause": "\(pause)"])
            let listener = context.channel, pause = pause
            listener.setOption(.autoRead, value: false).whenComplete { _ in
                listener.eventLoop.scheduleTask(in: pause) {
                    listener.setOption(.autoRead, value: true).whenComplete { _ in }
                }
            }
            context.eventLoop.assumeIsolated().scheduleTask(in: pause) { self.paused = false }
        }
        context.fireErrorCaught(error)
    }
}
