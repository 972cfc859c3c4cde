import Foundation
import SQLiteNIO
import VaporCSQLite

/// One result row with typed column access; records decode themselves from it.
struct Row: Sendable {
    let names: ColumnNames
    let values: [SQLiteData]

    private func value(_ name: String) throws -> SQLiteData {
        guard let index = names.index[name] else { throw StoreError.decoding(column: name) }
        return values[index]
    }

    func string(_ name: String) throws -> String {
        guard case .text(let text) = try value(name) else { throw StoreError.decoding(column: name) }
        return text
    }

    func optionalString(_ name: String) throws -> String? {
        let value = try value(name)
        return value.isNull ? nil : try string(name)
    }

    func int64(_ name: String) throws -> Int64 {
        guard case .integer(let number) = try value(name) else { throw StoreError.decoding(column: name) }
        return Int64(number)
    }

    func optionalInt64(_ name: String) throws -> Int64? {
        let value = try value(name)
        return value.isNull ? nil : try int64(name)
    }

    func int(_ name: String) throws -> Int { Int(try int64(name)) }

    func bool(_ name: String) throws -> Bool { try int64(name) != 0 }

    /// The column as text, whatever its storage class (nil for NULL); blobs as base64.
    func text(_ name: String) throws -> String? {
        switch try value(name) {
        case .null: nil
        case .integer(let number): String(number)
        case .float(let number): String(number)
        case .text(let text): text
        case .blob(let bytes): Data(bytes.readableBytesView).base64EncodedString()
        }
    }
}

/// The column names of one statement's result, shared by all its rows.
final class ColumnNames: Sendable {
    /// In result order.
    let list: [String]
    /// The first column of each name.
    let index: [String: Int]

    init(_ statement: OpaquePointer) {
        list = (0..<sqlite_nio_sqlite3_column_count(statement)).map { column in
            sqlite_nio_sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
        }
        index = Dictionary(list.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Values bound to `?` placeholders.
protocol Bindable {
    var sqlite: SQLiteData { get }
}

extension String: Bindable {
    var sqlite: SQLiteData { .text(self) }
}

extension Int: Bindable {
    var sqlite: SQLiteData { .integer(SQLiteInt64(self)) }
}

extension Int64: Bindable {
    var sqlite: SQLiteData { .integer(SQLiteInt64(self)) }
}

extension Bool: Bindable {
    var sqlite: SQLiteData { .integer(self ? 1 : 0) }
}

extension Optional: Bindable where Wrapped: Bindable {
    var sqlite: SQLiteData { self?.sqlite ?? .null }
}

/// The bindings of one statement, in placeholder order.
func arguments(_ values: (any Bindable)...) -> [SQLiteData] {
    values.map(\.sqlite)
}
