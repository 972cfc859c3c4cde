/// A bench step that could not produce its figure; the message says what went wrong where.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
