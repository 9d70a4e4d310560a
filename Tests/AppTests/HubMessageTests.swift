import NIOCore
@testable import PortcullisApp
import Testing

/// The hub's wire form, which crosses processes: any topic encodes, and any bytes decode to a
/// message or to nil, never to a trap.
@Suite struct HubMessageTests {
    @Test(arguments: [
        HubMessage(topic: "broadcast", payload: .text("hello")),
        HubMessage(topic: "", payload: .binary(ByteBuffer(bytes: [0, 1, 2]))),
        HubMessage(topic: "pubsub:" + String(repeating: "\u{301}", count: 40_000), payload: .text("{}")),
    ])
    func aMessageReadsBackAsItWasEncoded(_ message: HubMessage) {
        #expect(HubMessage(encoded: message.encoded) == message)
    }

    @Test func aTopicLongerThan65535BytesKeepsItsLength() {
        let topic = String(repeating: "t", count: 70_000)
        let encoded = HubMessage(topic: topic, payload: .text("x")).encoded
        #expect(encoded.count == 9 + 70_000 + 1)
        #expect(HubMessage(encoded: encoded)?.topic == topic)
    }

    @Test(arguments: [
        [],
        [UInt8(ascii: "t")],
        [UInt8(ascii: "t"), 0, 0, 0, 0, 0, 0, 0],
        [UInt8(ascii: "t"), 0, 0, 0, 0, 0, 0, 0, 2, 0x61],
        [UInt8(ascii: "t"), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61],
        [UInt8(ascii: "t"), 0x80, 0, 0, 0, 0, 0, 0, 0],
        [UInt8(ascii: "x"), 0, 0, 0, 0, 0, 0, 0, 0],
        [UInt8(ascii: "t"), 0, 0, 0, 0, 0, 0, 0, 1, 0xff],
        [UInt8(ascii: "t"), 0, 0, 0, 0, 0, 0, 0, 0, 0xc3],
    ])
    func bytesThatAreNotAMessageReadAsNil(_ bytes: [UInt8]) {
        #expect(HubMessage(encoded: bytes) == nil)
    }
}
