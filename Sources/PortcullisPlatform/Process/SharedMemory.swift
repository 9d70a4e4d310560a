import CPosixSpawn
import Glibc

/// Anonymous memory the master shares with a worker it starts: a `memfd` handed over as a
/// descriptor and mapped by both.
enum SharedMemory {
    /// New zeroed shared memory of `byteCount` bytes, mapped here, and its descriptor.
    static func create(_ name: String, byteCount: Int) throws(Spawner.Failure) -> (memory: UnsafeMutableRawPointer, fd: Int32) {
        let fd = portcullis_memfd(name)
        guard fd >= 0, ftruncate(fd, off_t(byteCount)) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw Spawner.Failure(description: "cannot create shared memory (\(name)): \(reason)")
        }
        guard let memory = map(fd, byteCount: byteCount) else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Spawner.Failure(description: "cannot map shared memory (\(name)): \(reason)")
        }
        return (memory, fd)
    }

    /// Maps the shared memory at `fd`; nil when it cannot be mapped.
    static func map(_ fd: Int32, byteCount: Int) -> UnsafeMutableRawPointer? {
        let memory = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let memory, memory != MAP_FAILED else { return nil }
        return memory
    }
}
