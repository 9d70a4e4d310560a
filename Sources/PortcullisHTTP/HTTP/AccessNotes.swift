public import PortcullisPlatform
import Synchronization

/// Fields a route adds to its request's access line: the request a proxy asked about, the
/// upstream that answered. A class, so what the route notes in its copy of the context reaches
/// the access log, which holds another copy.
public final class AccessNotes: Sendable {
    private let fields = Mutex<[StructuredLogHandler.TypedField]>([])

    public init() {}

    /// Adds `field` to the line.
    public func add(_ field: StructuredLogHandler.TypedField) {
        fields.withLock { $0.append(field) }
    }

    /// What was noted, in the order noted.
    public var all: [StructuredLogHandler.TypedField] { fields.withLock { $0 } }
}
