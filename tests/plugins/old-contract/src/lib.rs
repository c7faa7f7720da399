//! An exporter built against `propcast:exporter@0.1.0`, a contract version this host no longer
//! accept. It is otherwise complete, so only the version check can refuse it.

wit_bindgen::generate!({ path: "wit", world: "exporter" });

use exports::propcast::exporter::plugin::Guest;
use propcast::exporter::types::{Context, Document, ExportError, Manifest, Table};

struct OldContract;

impl Guest for OldContract {
    fn describe() -> Manifest {
        Manifest {
            name: "old-contract".into(),
            version: "0.1.0".into(),
            description: "Built for contract 0.1.0".into(),
            queries: Vec::new(),
            params: Vec::new(),
            outputs: vec!["v1/old-contract/".into()],
        }
    }

    fn run(_ctx: Context, _tables: Vec<Table>) -> Result<Vec<Document>, ExportError> {
        Ok(Vec::new())
    }
}

export!(OldContract);
