//! `propcast-native-bench EXPORTER CASE [--runs N] [--documents DIR] [--json]`: runs one of the
//! exporters compiled natively (the same crates the plugins are built from, linked here as Rust
//! libraries, with the plugins' own cargo profile, `plugin`: `opt-level = 3`, fat LTO) on a
//! fixture case's tables, and reports the median run time. `cargo xtask bench` runs `propcast
//! bench --case` on the same case and compares: the ratio is what running as a sandboxed
//! component costs, and the documents both wrote must be byte-identical.
//!
//! It reads the case as `propcast test` does (`case.json`: date, `generated_at`, options;
//! `tables/<query>.json`), through `propcast_sdk::testing`, with the host's run id for a case,
//! `test-<case folder name>`. A benchmark tool, not part of the site.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use propcast_sdk::testing::{ExporterManifest, Harness};
use propcast_sdk::{Document, Exporter, Tables};
use serde_json::Value;

const USAGE: &str =
    "usage: propcast-native-bench EXPORTER CASE_DIR [--runs N] [--documents DIR] [--json]

EXPORTER is one of: best-bets, player-profiles, predictions, results, streaks, tonight,
tonight-players. CASE_DIR is a fixture case (case.json and tables/), e.g. one `propcast capture`
wrote. --runs: timed runs after one warm-up (default 20). --documents: write what the first run
produced there, byte for byte. --json: print the result as one JSON object.";

struct Args {
    exporter: String,
    case: PathBuf,
    runs: u32,
    documents: Option<PathBuf>,
    json: bool,
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("propcast-native-bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let (mut runs, mut documents, mut json) = (20, None, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                let value = args.next().ok_or("--runs needs a number")?;
                runs = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--runs `{value}` is not a positive number"))?;
            }
            "--documents" => {
                documents = Some(args.next().ok_or("--documents needs a folder")?.into())
            }
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown flag `{flag}`\n\n{USAGE}"));
            }
            _ => positional.push(arg),
        }
    }
    let [exporter, case] = <[String; 2]>::try_from(positional).map_err(|_| USAGE.to_string())?;
    Ok(Args {
        exporter,
        case: case.into(),
        runs,
        documents,
        json,
    })
}

fn run(args: &Args) -> Result<(), String> {
    match args.exporter.as_str() {
        "best-bets" => measure::<best_bets::BestBets>(args),
        "player-profiles" => measure::<player_profiles::PlayerProfiles>(args),
        "predictions" => measure::<predictions::Predictions>(args),
        "results" => measure::<results::Results>(args),
        "streaks" => measure::<streaks::Streaks>(args),
        "tonight" => measure::<tonight::Tonight>(args),
        "tonight-players" => measure::<tonight_players::TonightPlayers>(args),
        other => Err(format!("unknown exporter `{other}`\n\n{USAGE}")),
    }
}

/// What a fixture case gives an exporter.
struct Case {
    date: String,
    generated_at: String,
    params: Vec<(String, String)>,
    run_id: String,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("failed to read `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))
}

fn read_case(dir: &Path) -> Result<Case, String> {
    let file = read_json(&dir.join("case.json"))?;
    let date = file["date"]
        .as_str()
        .ok_or_else(|| format!("`{}/case.json` has no `date`", dir.display()))?
        .to_string();
    let generated_at = file["generated_at"]
        .as_str()
        .map_or_else(|| format!("{date}T12:00:00Z"), str::to_string);
    let params = file["params"]
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    Ok(Case {
        date,
        generated_at,
        params,
        run_id: format!("test-{name}"),
    })
}

fn measure<E: Exporter + ExporterManifest>(args: &Args) -> Result<(), String> {
    let case = read_case(&args.case)?;
    let mut harness = Harness::<E>::new(&case.date)
        .run_id(&case.run_id)
        .generated_at(&case.generated_at);
    for (name, value) in &case.params {
        harness = harness.param(name, value);
    }
    let mut tables = serde_json::Map::new();
    for query in &harness.manifest().queries {
        let path = args
            .case
            .join("tables")
            .join(format!("{}.json", query.name));
        tables.insert(query.name.clone(), read_json(&path)?);
    }
    let tables: Tables = propcast_sdk::testing::tables(Value::Object(tables));
    let rows: usize = tables.iter().map(|t| t.len()).sum();
    let mut times = Vec::with_capacity(args.runs as usize);
    let mut documents = Vec::new();
    for round in 0..=args.runs {
        let started = Instant::now();
        let output = harness
            .run(&tables)
            .map_err(|e| format!("the exporter failed: {e}"))?;
        let elapsed = started.elapsed();
        if round == 0 {
            documents = output.documents;
        } else {
            times.push(elapsed);
        }
    }
    if let Some(dir) = &args.documents {
        write_documents(dir, &documents)?;
    }
    times.sort();
    let median: Duration = times[times.len() / 2];
    let ms = median.as_secs_f64() * 1e3;
    let name = &harness.manifest().name;
    if args.json {
        let result = serde_json::json!({
            "exporter": name,
            "date": case.date,
            "rows_in": rows,
            "runs": args.runs,
            "documents": documents.len(),
            "median_ms": ms,
        });
        println!("{result}");
    } else {
        println!(
            "exporter `{name}` natively on {} ({rows} rows in), {} runs: median {ms:.2} ms",
            case.date, args.runs
        );
    }
    Ok(())
}

fn write_documents(dir: &Path, documents: &[Document]) -> Result<(), String> {
    for doc in documents {
        let path = dir.join(&doc.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("failed to create `{}`: {e}", parent.display()))?;
        }
        std::fs::write(&path, &doc.body)
            .map_err(|e| format!("failed to write `{}`: {e}", path.display()))?;
    }
    Ok(())
}
