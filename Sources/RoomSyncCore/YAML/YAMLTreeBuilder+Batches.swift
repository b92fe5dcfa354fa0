// Handing out a big manifest's rooms a batch at a time, so that its whole tree is never in memory at once: at
// 100,000 rooms the tree is some 60 MB, and the manifest, the state and the live list are read at the same time.
extension YAMLParser.Builder {
    /// Hands the rooms built since the last batch to `body`, as the `rooms` mapping of a root that holds the
    /// file's other top-level entries, then drops them from the tree (but never a node an anchor names: a later
    /// alias may use it).
    ///
    /// Called between pieces, when the tree is open at the root and at `rooms`. Returns false, having handed out
    /// nothing, when anything is not as one pass would leave it clean — an error so far, a `<<` or a duplicate
    /// key among the root's keys or the rooms' (this batch's or an earlier one's), a key that is not a scalar —
    /// and the caller reads the file in one pass instead, which reports it exactly.
    mutating func flushRooms(_ body: (YAMLNode) -> Void) -> Bool {
        guard errors.isEmpty, documents == 1, stack.count == 2, stack[0].isMapping, stack[1].isMapping else {
            return false
        }
        let root = stack[0], rooms = stack[1]
        // The root's pending nodes are its pairs before `rooms`, then the `rooms` key; the rooms' are pairs.
        let roomsKey = rooms.firstPending - 1
        guard roomsKey >= root.firstPending, (roomsKey - root.firstPending) % 2 == 0,
              (pending.count - rooms.firstPending) % 2 == 0
        else { return false }
        var at = root.firstPending
        while at <= roomsKey {
            let key = pending[at]
            guard isScalar(key), !isMergeKey(key) else { return false }
            for earlier in stride(from: root.firstPending, to: at, by: 2) where sameText(pending[earlier], key) {
                return false
            }
            at += 2
        }
        var keys: [UInt64] = []
        keys.reserveCapacity((pending.count - rooms.firstPending) / 2)
        for at in stride(from: rooms.firstPending, to: pending.count, by: 2) {
            let key = pending[at]
            guard isScalar(key), !isMergeKey(key) else { return false }
            keys.append(textHash(key))
        }
        // Two different keys with the same hash also send the file to one pass: rare, and still exact.
        let before = flushedKeys.count
        flushedKeys.formUnion(keys)
        guard flushedKeys.count == before + keys.count else { return false }

        handOut(root: root, rooms: rooms, body)

        let keep = Extent(
            records: max(batchFloor.records, anchored.records), children: max(batchFloor.children, anchored.children),
            text: max(batchFloor.text, anchored.text))
        records.removeLast(records.count - keep.records)
        children.removeLast(children.count - keep.children)
        text.removeLast(text.count - keep.text)
        if !tags.isEmpty { tags = tags.filter { $0.key < keep.records } }
        pending.removeLast(pending.count - rooms.firstPending)
        batchFloor = keep
        return true
    }

    /// Appends the two mappings the batch is seen through, calls `body` with their root, and takes them away.
    private mutating func handOut(root: YAMLParser.Frame, rooms: YAMLParser.Frame, _ body: (YAMLNode) -> Void) {
        let end = extent
        let roomsIndex = Int32(records.count)
        let roomsStart = Int32(children.count)
        children.append(contentsOf: pending[rooms.firstPending...])
        records.append(Record(
            kind: .mapping, style: .plain, tagged: false, line: Int32(rooms.mark.line), column: Int32(rooms.mark.column),
            start: roomsStart, count: Int32(children.count) - roomsStart))
        let rootStart = Int32(children.count)
        children.append(contentsOf: pending[root.firstPending..<rooms.firstPending])
        children.append(roomsIndex)
        records.append(Record(
            kind: .mapping, style: .plain, tagged: false, line: Int32(root.mark.line), column: Int32(root.mark.column),
            start: rootStart, count: Int32(children.count) - rootStart))
        see(YAMLTree(records: records, text: text, children: children, tags: tags), root: roomsIndex + 1, body)
        records.removeLast(records.count - end.records)
        children.removeLast(children.count - end.children)
    }

    /// The tree shares the builder's arrays only while `body` runs: once it is released, the builder's next
    /// change finds them uniquely owned again and does not copy them.
    @inline(never)
    private func see(_ tree: YAMLTree, root: Int32, _ body: (YAMLNode) -> Void) {
        body(YAMLNode(tree: tree, index: root))
    }
}
