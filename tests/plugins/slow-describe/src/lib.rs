//! An exporter of this host's contract whose `describe` spins forever, so only the describe
//! budget (or the user's limits) can stop loading it.

wit_bindgen::generate!({ path: "../../../wit", world: "exporter" });

use exports::propcast::exporter::plugin::Guest;
use propcast::exporter::types::{Context, Document, ExportError, Manifest, Table};

struct SlowDescribe;

impl Guest for SlowDescribe {
    fn describe() -> Manifest {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }

    fn run(_ctx: Context, _tables: Vec<Table>) -> Result<Vec<Document>, ExportError> {
        Ok(Vec::new())
    }
}

export!(SlowDescribe);
