import Testing

@testable import RoomSyncCore

/// The rooms' keys are sorted by their bytes when they are ASCII; the order must be String's, ties in position order.
@Suite struct ManifestKeyOrderTests {
    static func reference(_ keys: [String]) -> [Int] {
        Array(keys.indices).sorted { (keys[$0], $0) < (keys[$1], $1) }
    }

    @Test func asciiKeysSortAsStringsDo() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab-._09AZ~ ")
        for _ in 0..<50 {
            let keys = (0..<200).map { _ in
                String((0..<Int.random(in: 0...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            }
            #expect(ManifestReader.sortedOrder(of: keys) == Self.reference(keys))
        }
        let fixed = ["b", "a", "ab", "", "a", "b-1", "b.1", "a", "sz-tower-10f-00001", "sz-tower-1f-00002", ""]
        #expect(ManifestReader.sortedOrder(of: fixed) == Self.reference(fixed))
        #expect(ManifestReader.sortedOrder(of: []) == [])
    }

    /// With any key not ASCII (a decomposed é sorts with the composed one), String's own order is used.
    @Test func otherKeysSortAsStringsDo() {
        let keys = ["e\u{301}x", "éa", "z", "é", "a", "e\u{301}", "深圳", "zz"]
        #expect(ManifestReader.sortedOrder(of: keys) == Self.reference(keys))
    }
}
