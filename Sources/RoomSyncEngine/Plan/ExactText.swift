/// A String compared and hashed by its UTF-8 bytes, as a key of the planner's indexes.
///
/// String's own hashing normalises every non-ASCII string to NFC first, so that canonically equivalent spellings
/// hash alike; for Chinese names, cities and buildings that normalisation was a large share of planning 10,000
/// rooms. WeCom stores and compares text byte for byte, so the indexes (rooms by name, buildings) do too.
struct ExactText: Hashable {
    let string: String

    init(_ string: String) {
        self.string = string
    }

    static func == (a: ExactText, b: ExactText) -> Bool {
        a.string.utf8.elementsEqual(b.string.utf8)
    }

    func hash(into hasher: inout Hasher) {
        Self.combine(string, into: &hasher)
    }

    static func combine(_ string: String, into hasher: inout Hasher) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in string.utf8 { hasher.combine(byte) }
        }
        // Ends the string, so that ("ab", "c") and ("a", "bc") hash apart when combined in a pair.
        hasher.combine(UInt8(0xFF))
    }
}
