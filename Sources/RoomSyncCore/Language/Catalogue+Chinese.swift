extension Catalogue {
    /// Chinese, in the words of WeCom's admin console: 会议室, 容纳人数, 城市, 楼宇, 楼层, 设备, 使用范围, 需要审批, 预定.
    /// Keys, field values and command names stay as they are; everything else reads as Chinese.
    static let chinese: [MessageKey: String] = [
        // MARK: language
        .unknownLanguage: "{source} 的值 '{value}' 不是 roomsync 支持的语言（zh 或 en）",

        // MARK: errors

        // MARK: manifest diagnostics

        // MARK: plan, drift and apply reports

        // MARK: progress and summaries

        // MARK: doctor

        // MARK: robot messages
    ]
}
