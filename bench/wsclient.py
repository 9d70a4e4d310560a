"""A minimal WebSocket client for the bench scripts, and the /ws/echo round-trip workload."""
import asyncio, base64, os, struct, time


class Client:
    """A minimal WebSocket client: text frames, masked with a zero key, no fragmentation."""

    @classmethod
    async def open(cls, port, path):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        assert head.startswith("HTTP/1.1 101"), head
        client = cls()
        client.reader, client.writer = reader, writer
        client.request_id = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                                  if line.lower().startswith("x-request-id:")), None)
        return client

    def send(self, text):
        data = text.encode()
        if len(data) < 126:
            header = struct.pack("!BB", 0x81, 0x80 | len(data))
        else:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, len(data))
        self.writer.write(header + b"\0\0\0\0" + data)

    async def receive(self):
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        payload = await self.reader.readexactly(length)
        if first & 0x0F == 0x9:  # ping: answer and read on
            self.writer.write(struct.pack("!BB", 0x8A, 0x80 | len(payload)) + b"\0\0\0\0" + payload)
            return await self.receive()
        return payload.decode()

    def close(self):
        self.writer.close()


async def echo(port, clients, duration):
    connections = [await Client.open(port, "/ws/echo") for _ in range(clients)]
    done, counts, latencies = time.monotonic() + duration, [0] * clients, []

    async def loop(index, client):
        while time.monotonic() < done:
            started = time.perf_counter()
            client.send("hello")
            assert await client.receive() == "Echo: hello"
            latencies.append(time.perf_counter() - started)
            counts[index] += 1

    started = time.monotonic()
    await asyncio.gather(*(loop(i, c) for i, c in enumerate(connections)))
    elapsed = time.monotonic() - started
    for client in connections:
        client.close()
    latencies.sort()
    return sum(counts) / elapsed, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000
