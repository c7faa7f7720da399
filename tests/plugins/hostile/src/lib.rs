//! A deliberately bad exporter for the sandbox suite. Its `mode` option picks the misbehaviour;
//! features swap in manifests with bad queries. Where a mode probes for something the sandbox
//! must deny (a file, the environment, a socket, the clock), it reports what it saw as its
//! error, so the test can assert the denial; had it got through, it would publish the loot.

use std::hint::black_box;
use std::io::Write;

use propcast_sdk::prelude::*;

pub struct Hostile;

fn recurse(depth: u64) -> u64 {
    if black_box(depth) == 0 { 0 } else { 1 + recurse(black_box(depth - 1)) }
}

fn document(path: &str, body: Vec<u8>) -> Document {
    Document { path: path.to_string(), body, kind: DocumentKind::Dated }
}

impl Exporter for Hostile {
    fn run(ctx: &Context, _tables: &Tables) -> Result<Vec<Document>> {
        let mode: String = ctx.param("mode").unwrap_or_else(|_| "ok".to_string());
        let here = format!("v1/hostile/{}.json", ctx.date());
        let json = |value: serde_json::Value| value.to_string().into_bytes();
        let escaped = |what: String| Ok(vec![document(&here, json(serde_json::json!({ "escaped": what })))]);
        match mode.as_str() {
            "ok" => Ok(vec![document(&here, json(serde_json::json!({ "date": ctx.date() })))]),
            "loop" => {
                let mut x = 1u64;
                while black_box(x) != 0 {
                    x = x.wrapping_mul(3) | 1;
                }
                unreachable!("the loop never ends")
            }
            "recurse" => Err(Error::failed(format!("recursed {}", recurse(u64::MAX)))),
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(black_box(vec![7u8; 16 << 20]));
                }
            }
            "panic" => panic!("hostile plugin panicked on purpose on {}", ctx.date()),
            "error" => Err(Error::failed("hostile plugin failed on purpose").with_hint("Consider --param mode=ok")),
            "huge-document" => {
                let mut body = vec![b'x'; 17 << 20];
                body[0] = b'"';
                *body.last_mut().unwrap() = b'"';
                Ok(vec![document(&here, body)])
            }
            "many-documents" => Ok((0..20_001).map(|i| document(&format!("v1/hostile/{i}.json"), b"{}".to_vec())).collect()),
            "invalid-json" => Ok(vec![document(&here, b"{not json".to_vec())]),
            "traversal" => Ok(vec![document("v1/hostile/../../etc/passwd.json", b"{}".to_vec())]),
            "absolute-path" => Ok(vec![document("/etc/passwd.json", b"{}".to_vec())]),
            "outside-prefix" => Ok(vec![document("v1/streaks/today.json", b"{\"owned\":true}".to_vec())]),
            "duplicate-path" => Ok(vec![document(&here, b"{}".to_vec()), document(&here, b"[]".to_vec())]),
            "read-file" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => escaped(text),
                Err(e) => Err(Error::failed(format!("could not read /etc/passwd: {e}"))),
            },
            "read-env" => {
                let vars: Vec<(String, String)> = std::env::vars().collect();
                let args = std::env::args().count();
                let home = std::env::var("HOME").ok();
                let cwd = std::env::current_dir().map(|p| p.display().to_string()).map_err(|e| e.to_string());
                Err(Error::failed(format!("saw {} environment variables, {args} arguments, HOME {home:?}, current dir {cwd:?}", vars.len())))
            }
            "open-socket" => match std::net::TcpStream::connect("127.0.0.1:9") {
                Ok(_) => escaped("connected to 127.0.0.1:9".into()),
                Err(e) => Err(Error::failed(format!("could not connect: {e}"))),
            },
            "resolve-name" => match std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 9)) {
                Ok(addresses) => escaped(format!("resolved localhost to {:?}", addresses.collect::<Vec<_>>())),
                Err(e) => Err(Error::failed(format!("could not resolve localhost: {e}"))),
            },
            "read-clock" => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                let start = std::time::Instant::now();
                let spun = black_box((0..1_000_000u64).sum::<u64>());
                Err(Error::failed(format!(
                    "the clock reads {} and {:?} passed while summing to {spun}",
                    now.as_secs(),
                    start.elapsed()
                )))
            }
            "read-random" => {
                use std::hash::BuildHasher;
                let hash = std::hash::RandomState::new().hash_one(42u64);
                Err(Error::failed(format!("a randomly keyed hash of 42 is {hash}")))
            }
            "log-flood" => {
                let line = "x".repeat(1024);
                for _ in 0..4096 {
                    propcast_sdk::info!("{line}");
                }
                Err(Error::failed("the log flood was not stopped"))
            }
            "stderr-flood" => {
                let chunk = vec![b'y'; 4096];
                for _ in 0..1024 {
                    let _ = std::io::stderr().write_all(&chunk);
                }
                Err(Error::failed("the stderr flood was not stopped"))
            }
            "deep-json" => {
                let depth = 1_000_000;
                let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
                Ok(vec![document(&here, body.into_bytes())])
            }
            "infinite-number" => Ok(vec![document(&here, b"{\"points\": 1e999}".to_vec())]),
            "lone-surrogate" => Ok(vec![document(&here, b"{\"name\": \"\\ud800\"}".to_vec())]),
            "terminal-escape" => {
                // Clear the line, print a fake success row, set the clipboard (OSC 52).
                let fake = "\u{1b}[2K\r7 of 7 exporters published\u{1b}]52;c;cm0gLXJmIH4=\u{7}";
                propcast_sdk::warn!("{fake}");
                Err(Error::failed(fake).with_hint(fake))
            }
            "huge-error" => Err(Error::failed("e".repeat(100 << 20))),
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Err(Error::failed("woke from a sleep of an hour"))
            }
            // A Cyrillic `е` in `strеaks`, and a right-to-left override.
            "lookalike-path" => Ok(vec![
                document("v1/hostile/str\u{435}aks.json", b"{}".to_vec()),
                document("v1/hostile/\u{202e}nosj.json", b"{}".to_vec()),
            ]),
            "case-twins" => Ok(vec![
                document("v1/hostile/Today.json", b"{}".to_vec()),
                document("v1/hostile/today.json", b"{}".to_vec()),
            ]),
            "empty-log-flood" => {
                for _ in 0..10_000_000 {
                    propcast_sdk::info!("");
                }
                Err(Error::failed("the empty log flood was not stopped"))
            }
            other => Err(Error::bad_input(format!("unknown mode `{other}`"))),
        }
    }
}

#[cfg(not(any(
    feature = "query-delete",
    feature = "query-two-statements",
    feature = "query-slow",
    feature = "query-many-rows",
    feature = "query-season-promise",
    feature = "outputs-overlap",
    feature = "outputs-file-as-folder",
    feature = "option-named-like-a-flag"
)))]
propcast_sdk::exporter!(Hostile, manifest = "manifests/modes.toml");
#[cfg(feature = "query-delete")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/query-delete.toml");
#[cfg(feature = "query-two-statements")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/query-two-statements.toml");
#[cfg(feature = "query-slow")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/query-slow.toml");
#[cfg(feature = "query-many-rows")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/query-many-rows.toml");
#[cfg(feature = "query-season-promise")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/query-season-promise.toml");
#[cfg(feature = "outputs-overlap")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/outputs-overlap.toml");
#[cfg(feature = "outputs-file-as-folder")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/outputs-file-as-folder.toml");
#[cfg(feature = "option-named-like-a-flag")]
propcast_sdk::exporter!(Hostile, manifest = "manifests/option-named-like-a-flag.toml");
