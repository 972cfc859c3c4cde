/// The JSON error body every pod answers with: `{"error": "...", "code"?: "..."}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var code: String?

    public init(error: String, code: String? = nil) {
        self.error = error
        self.code = code
    }
}
