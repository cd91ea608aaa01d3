package nf

import "nodeforge.dev/catalog/nf/sqlite/driver"

// Apps set SQLiteDSN by importing nf/sqlite, which imports nf: this package's own tests
// take the driver directly.
func init() { SQLiteDSN = driver.DSN }
