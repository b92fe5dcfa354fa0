import RoomSyncCore

/// libFuzzer's entry point: read the bytes as a manifest and trap on any broken invariant, so libFuzzer saves
/// the input. Crashes and hangs inside the reader are caught by libFuzzer and AddressSanitizer themselves.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let result = ManifestReader.read(bytes: bytes, name: "fuzz.yaml")
    let problems = ManifestInvariants.violations(of: result, name: "fuzz.yaml")
    if !problems.isEmpty {
        fatalError("manifest invariant broken:\n" + problems.joined(separator: "\n"))
    }
    return 0
}
