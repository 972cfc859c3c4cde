import Foundation

/// A figure as the table prints it: whole numbers and large values plain, small values with
/// enough decimals to mean something.
func format(_ value: Double) -> String {
    if value >= 100 || value == value.rounded() { return String(format: "%.0f", value) }
    if value >= 10 { return String(format: "%.1f", value) }
    return String(format: "%.2f", value)
}
