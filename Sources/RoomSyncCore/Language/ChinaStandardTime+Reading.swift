extension ChinaStandardTime {
    /// A time as a person reads it, in China Standard Time: `2026-12-08 10:00 +08:00` in English (as roomsync has
    /// always printed it), `2026年12月8日 10:00` in Chinese.
    public static func readable(_ time: Int, in language: Language = Language.current) -> String {
        Catalogue.text(.cstTime, ["date": date(time, in: language), "time": formatTime(time)], in: language)
    }

    /// `2026-12-08 10:00–11:00 +08:00`, `2026年12月8日 10:00–11:00`: a span as a booking shows it (the end's day is
    /// the start's, or the next for a booking across midnight, which the start's day makes plain enough).
    public static func readableSpan(_ start: Int, _ end: Int, in language: Language = Language.current) -> String {
        Catalogue.text(
            .cstSpan, ["date": date(start, in: language), "start": formatTime(start), "end": formatTime(end)], in: language)
    }

    /// The date of `time`: ISO in English, `2026年12月8日` in Chinese. Formatting, not wording, so it is here
    /// rather than in the catalogue (a template cannot pad a number in one language and not the other).
    public static func date(_ time: Int, in language: Language = Language.current) -> String {
        switch language {
        case .en: String(format(time).prefix(10))
        case .zh:
            {
                let local = time + offsetSeconds
                let (year, month, day) = civilDate(daysSinceEpoch: (local - floorModulo(local, 86_400)) / 86_400)
                return "\(year)年\(month)月\(day)日"
            }()
        }
    }
}
