// Package layout holds no code: its test checks the module's layers
// against docs/architecture.md (every package named in the document's
// layer table, no import from a lower layer to a higher one, and
// internal/config importing nothing of patrol).
package layout
