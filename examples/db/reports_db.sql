-- Schema of the `reports_db` SQLite connector (daily_report.flow.json). `nodeforge run` and
-- `nodeforge test` apply it through NODEFORGE_CONNECTOR_REPORTS_DB_SCHEMA; it must be idempotent.
CREATE TABLE IF NOT EXISTS sales (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  day TEXT NOT NULL,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL,
  price REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
  sku TEXT PRIMARY KEY,
  units INTEGER NOT NULL
);
