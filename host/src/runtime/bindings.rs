//! The generated bindings for `wit/exporter.wit`. The only place the host touches the ABI.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "exporter",
    // Logging past the log limit ends the run, so the import may trap.
    imports: { "propcast:exporter/log.log": trappable },
});

pub(crate) use propcast::exporter::log;
pub(crate) use propcast::exporter::types as wit;

/// The contract's package name; its version is in the export name (`…/plugin@0.3.0`).
pub(crate) const PACKAGE: &str = "propcast:exporter";
/// The interface every exporter exports.
pub(crate) const PLUGIN_INTERFACE: &str = "plugin";
