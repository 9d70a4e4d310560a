import Glibc

/// libFuzzer's driver, which runs a target over generated inputs until it crashes or its time
/// is up; it reads the same flags as any libFuzzer binary (`-max_total_time`, a corpus folder).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target `PORTCULLIS_FUZZ_TARGET` names, chosen once.
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let target = selected else { return 0 }
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}

/// `PORTCULLIS_FUZZ_TARGET=<name> portcullis-fuzz [libFuzzer flags] [corpus…]`; without a
/// target it lists them. scripts/fuzz runs each in turn.
@main enum FuzzMain {
    static func main() {
        guard let name = getenv("PORTCULLIS_FUZZ_TARGET").map({ String(cString: $0) }),
            let target = FuzzTarget.all.first(where: { $0.name == name })
        else {
            print(FuzzTarget.all.map(\.name).joined(separator: "\n"))
            exit(64)
        }
        selected = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}
