// Node-RED settings for the side-by-side benchmark: headless (no editor), loopback only.
module.exports = {
  uiHost: "127.0.0.1",
  uiPort: parseInt(process.env.PORT || "1880", 10),
  flowFile: process.env.NODERED_FLOWS,
  userDir: process.env.NODERED_USERDIR,
  httpAdminRoot: false,
  credentialSecret: false,
  diagnostics: { enabled: false, ui: false },
  telemetry: { enabled: false },
  logging: { console: { level: "warn", metrics: false, audit: false } },
  editorTheme: { tours: false },
};
