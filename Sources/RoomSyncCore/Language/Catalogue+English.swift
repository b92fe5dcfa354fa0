extension Catalogue {
    /// English: what roomsync has always printed. `LANG=C.UTF-8` output must not change, so a text moved here
    /// keeps its exact wording (the golden files check it).
    static let english: [MessageKey: String] = [
        // MARK: language
        .unknownLanguage: "{source} '{value}' is not a language roomsync speaks (zh or en)",

        // MARK: errors

        // MARK: manifest diagnostics

        // MARK: plan, drift and apply reports

        // MARK: progress and summaries

        // MARK: doctor

        // MARK: robot messages
    ]
}
