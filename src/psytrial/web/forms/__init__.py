"""The generic, versioned form store: every protocol instrument is entered, versioned and
audited through one action (`actions.save_form`) and rendered by one view, so a new
instrument in a protocol needs no code."""
