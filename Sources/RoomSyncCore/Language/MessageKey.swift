/// Every message roomsync prints for a person, by name. Each has a text in every language's catalogue
/// (`Catalogue+English.swift`, `Catalogue+Chinese.swift`), with the same `{placeholders}`: `CatalogueTests` fails
/// when one is missing. Sections by area keep additions apart.
public enum MessageKey: String, Sendable, Hashable, CaseIterable {
    // MARK: language
    case unknownLanguage

    // MARK: errors

    // MARK: manifest diagnostics

    // MARK: plan, drift and apply reports

    // MARK: progress and summaries

    // MARK: doctor

    // MARK: robot messages
}
