import PortcullisApp
import PortcullisPlatform

/// The hub's link to the other workers of this master, over the control socket.
struct MasterLink: HubLink {
    let writer: ControlWriter
    let drops: DropReport

    func forward(_ message: HubMessage) {
        if writer.send(.relay(message.encoded)) { drops.delivered() } else { drops.dropped() }
    }
}
