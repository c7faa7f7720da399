//! The echo exporter: `v1/echo/<date>.json` holds the `types` table exactly as the exporter
//! received it, each column with its contract type and its values (`null` for NULL), so a test
//! can check how a source maps the warehouse's types.

use propcast_sdk::prelude::*;
use propcast_sdk::Value;
use serde_json::json;

pub struct Echo;

impl Exporter for Echo {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let table = tables.get("types")?;
        let columns: Vec<serde_json::Value> = table
            .columns()
            .iter()
            .map(|column| {
                let values: Vec<serde_json::Value> = (0..column.len())
                    .map(|row| match column.get(row) {
                        Value::Null => serde_json::Value::Null,
                        Value::Int(v) => json!(v),
                        Value::Float(v) => json!(v),
                        Value::Bool(v) => json!(v),
                        Value::Text(v) | Value::Date(v) => json!(v),
                    })
                    .collect();
                json!({ "name": column.name(), "type": column.data().type_name(), "values": values })
            })
            .collect();
        let body = json!({ "rows": table.len(), "columns": columns });
        Ok(vec![Document::dated(format!("v1/echo/{}.json", ctx.date()), &body)?])
    }
}

propcast_sdk::exporter!(Echo);
