/// Every message roomsync prints for a person, by name. Each has a text in every language's catalogue
/// (`Catalogue+English.swift`, `Catalogue+Chinese.swift`), with the same `{placeholders}`: `CatalogueTests` fails
/// when one is missing. Sections by area keep additions apart.
public enum MessageKey: String, Sendable, Hashable, CaseIterable {
    // MARK: language
    case unknownLanguage
    case verbatim
    case listSeparator
    case sentenceEnd
    case cstTime
    case cstSpan

    // MARK: errors

    // MARK: manifest diagnostics

    // MARK: plan, drift and apply reports
    case roomWithID
    case planMove
    case planImport
    case planImportChanged
    case planAdd
    case planReadd
    case planChange
    case planDelete
    case planDeletePruned
    case planAdopt
    case planAdoptChanged
    case planWithReason
    case planDeleteBookings
    case planReaddReason
    case planForgotten
    case planRecordUpdate
    case noteLine
    case warningLabel
    case planNoChanges
    case planSummary
    case planSummaryMoves
    case planSummaryImports
    case planBookingCancelled
    case planBookingsCancelled
    case summaryWithSubset
    case subsetNote
    case planRefusedDelete
    case planRefusedReadd
    case fieldValue
    case fieldChanged
    case fieldName
    case fieldCapacity
    case fieldCity
    case fieldBuilding
    case fieldFloor
    case fieldEquipment
    case fieldCoordinate
    case fieldRange
    case valueNone
    case valueRange
    case actionAdd
    case actionChange
    case actionDelete
    case actionAdopt
    case actionMove
    case actionImport
    case columnUnchanged
    case mdPlanTitle
    case mdLimitedTo
    case mdChangeFrom
    case mdBookingColumns
    case mdFieldColumns
    case mdChanges
    case mdWarnings
    case mdNounChanges
    case mdNounWarnings
    case mdNounItems
    case mdNounRooms
    case mdCutNote
    case mdDriftTitle
    case mdDriftColumns
    case mdDriftFound
    case mdNoNewDrift
    case mdNoDrift
    case mdDriftLimitedTo
    case mdDriftItem
    case mdAcceptedEarlier
    case driftKindChanged
    case driftKindDeleted
    case driftKindUnmanaged
    case mdDriftFieldColumns
    case mdDetails
    case mdRefusedTitle
    case mdRefusedError
    case mdRefusedColumns
    case driftChanged
    case driftDeleted
    case driftUnmanaged
    case driftAcceptedHeader
    case driftNoNew
    case driftNone
    case driftSummary
    case driftAcceptedCount
    case bookingsUnknown
    case bookingNoteOne
    case bookingNoteMany
    case bookingDescribe
    case planSaved
    case driftAccepted
    case warnProtected
    case warnPruneExcluded
    case warnUnmanaged
    case warnBuildingCoordinates
    case projectTarget
    case mdProjectTitle
    case mdProjectTarget

    // MARK: progress and summaries
    case pastAdded
    case pastChanged
    case pastDeleted
    case pastAdopted
    case pastMoved
    case pastImported
    case countAdded
    case countChanged
    case countDeleted
    case countAdopted
    case countMoved
    case countImported
    case countFailed
    case countNotStarted
    case progressLine
    case progressWaiting
    case clockSeconds
    case clockMinutes
    case clockHours
    case progressSucceeded
    case progressFailed
    case progressSameError
    case applyComplete
    case applyIncomplete
    case applyConfirm
    case validSummary
    case roomCountOne
    case roomCountMany
    case fileCountOne
    case fileCountMany
    case validProject
    case noteEmbeddedSandbox
    case noteBookingsUnchecked
    case noteStateLockedWaiting
    case noteStateLocked
    case notePendingAddMapped
    case notePendingAddLost

    // MARK: doctor

    // MARK: robot messages
    case robotDriftTitle
    case robotTarget
    case robotDriftCounts
    case robotAcceptedCount
    case robotChanged
    case robotFieldChange
    case robotFieldSeparator
    case robotDeleted
    case robotUnmanaged
    case robotApplyComplete
    case robotApplyFailed
    case robotFailedOperation
    case robotCutNote
    case robotApplyStopped
}
